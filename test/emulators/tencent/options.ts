// The emulator's knobs. Defaults follow the documentation; tests change them
// with TencentEmulator.configure().

export interface EmulatorOptions {
  /**
   * Where UploadCertificate with Repeatable=false returns the id of an
   * identical certificate already stored. The reference documents
   * RepeatCertId ("the ID of the repeatedly uploaded certificate"); the
   * `CertificateId` variant checks that a client copes either way.
   */
  repeatIdIn: 'RepeatCertId' | 'CertificateId';
  /** After a host changes, further changes are refused with InvalidParameter.ActionInProgress for this long. */
  actionInProgressMs: number;
  /** A fresh upload is invisible to EdgeOne (ResourceUnavailable.CertNotFound) for this long. */
  certPropagationMs: number;
  /** Calls per second per SecretId and action; past it the call is refused and counted. */
  rateLimits: Record<string, number>;
  /** For actions not in rateLimits. */
  defaultRateLimit: number;
  /**
   * DeleteCertificate with IsCheckResource=true: `task` (documented) answers
   * a TaskId whose DescribeDeleteCertificatesTaskResult Status is 1 (deleted)
   * or 4 (bound resources); `sync` deletes at once or refuses with
   * FailedOperation.DeleteResourceFailed.
   */
  deleteCheck: 'task' | 'sync';
  /** How many DescribeDeleteCertificatesTaskResult answers report a deletion task as running (Status 0) before it settles. */
  deleteTaskPolls: number;
  /** Force every deletion task to end with this Status (2, 3, 5), as when the service role is missing. */
  deleteTaskStatus: number | undefined;
}

export const DEFAULT_OPTIONS: EmulatorOptions = {
  repeatIdIn: 'RepeatCertId',
  actionInProgressMs: 0,
  certPropagationMs: 0,
  // ModifyHostsCertificate: "A maximum of 20 requests can be initiated per second";
  // UploadCertificate and DeleteCertificate: 10 per second.
  rateLimits: { ModifyHostsCertificate: 20, UploadCertificate: 10, DeleteCertificate: 10 },
  defaultRateLimit: 20,
  deleteCheck: 'task',
  deleteTaskPolls: 0,
  deleteTaskStatus: undefined,
};
