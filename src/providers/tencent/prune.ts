// Deleting the uploads a binding no longer uses.
//
// Candidates are the ids the controller recorded for the binding plus every
// certificate in the account whose Alias is this binding's (./alias.ts), so
// uploads whose id never made it into status (a crash between upload and
// status write) are found too. Never deleted: an id the binding uses now, or
// an id with someone else's alias that the controller did not record.
//
// Each deletion asks SSL Certificates to check bound resources first
// (IsCheckResource=true), so a certificate still bound to any EdgeOne host,
// CDN domain or load balancer (this binding's or anyone's) is refused rather
// than deleted. With the check, deletion is asynchronous: the answer carries
// a TaskId whose outcome DescribeDeleteCertificatesTaskResult reports
// (Status 0 running, 1 deleted, 2 failed, 3 service role missing, 4 bound
// resources, 5 timeout). We poll it briefly; a task still running when we
// stop is reported as DeleteTask.Pending and retried at the next prune.
import type { Logger } from 'pino';
import type { Clock } from '../ratelimit.ts';
import type { BindingRef, ProviderError, PruneRequest, PruneResult } from '../provider.ts';
import { aliasPrefix, isOwnAlias } from './alias.ts';
import type { TencentAccount } from './clients.ts';
import { classify, DELETE_TASK_STATUS, providerError } from './errors.ts';
import { chunks } from './util.ts';

export interface DeleteTaskPolling {
  /** Wait before each poll of DescribeDeleteCertificatesTaskResult. */
  intervalMs: number;
  /** Polls before giving up with DeleteTask.Pending. */
  attempts: number;
}

export const DEFAULT_DELETE_TASK_POLLING: DeleteTaskPolling = { intervalMs: 1_000, attempts: 5 };

const LIST_PAGE = 100;
const LIST_MAX_PAGES = 50;
const TASK_IDS_PER_CALL = 100;

export interface PruneDeps {
  account: TencentAccount;
  logger: Logger;
  polling: DeleteTaskPolling;
  clock: Clock;
}

export async function pruneUploads(deps: PruneDeps, req: PruneRequest): Promise<PruneResult> {
  const { account, logger } = deps;
  const scrub = (text: string) => account.scrubber().scrub(text);
  const result: PruneResult = { deleted: [], failed: [] };
  const fail = (certificateId: string, error: ProviderError) => result.failed.push({ certificateId, error });

  const candidates = new Set(req.recorded.filter((id) => id !== ''));
  for (const id of await listOwnUploads(deps, req.binding, req.signal)) candidates.add(id);
  for (const id of req.inUse) candidates.delete(id);

  const tasks = new Map<string, string>(); // TaskId -> CertificateId
  await Promise.all(
    [...candidates].map(async (certificateId) => {
      try {
        const answer = await account.ssl('DeleteCertificate', { CertificateId: certificateId, IsCheckResource: true }, { signal: req.signal });
        if (answer.TaskId) tasks.set(answer.TaskId, certificateId);
        else if (answer.DeleteResult) result.deleted.push(certificateId);
        else fail(certificateId, providerError('DeleteTask.Failed', `DeleteCertificate: ${certificateId} was not deleted`, scrub, answer.RequestId));
      } catch (err) {
        const error = classify(err, { action: 'DeleteCertificate', scrub });
        // Already gone (deleted in the console, or by an earlier prune whose answer was lost): the goal is met.
        if (error.code === 'FailedOperation.CertificateNotFound') result.deleted.push(certificateId);
        else fail(certificateId, error);
      }
    }),
  );

  await waitForTasks(deps, tasks, result, req.signal);

  result.deleted.sort();
  result.failed.sort((a, b) => (a.certificateId < b.certificateId ? -1 : a.certificateId > b.certificateId ? 1 : 0));
  if (result.deleted.length > 0 || result.failed.length > 0) {
    logger.info(
      { binding: `${req.binding.namespace}/${req.binding.name}`, deleted: result.deleted, failed: result.failed.map((f) => `${f.certificateId}: ${f.error.code}`) },
      'pruned uploaded certificates',
    );
  }
  return result;
}

/** Ids of certificates whose Alias marks them as uploaded for `binding`. */
async function listOwnUploads(deps: PruneDeps, binding: BindingRef, signal: AbortSignal | undefined): Promise<string[]> {
  const { account, logger } = deps;
  const ids: string[] = [];
  try {
    for (let page = 0, offset = 0; page < LIST_MAX_PAGES; page++) {
      const answer = await account.ssl(
        'DescribeCertificates',
        // SearchKey is a fuzzy match on id, alias and domain; isOwnAlias does the exact check.
        { SearchKey: aliasPrefix(binding), CertificateType: 'SVR', FilterSource: 'upload', Offset: offset, Limit: LIST_PAGE },
        { signal },
      );
      const certificates = answer.Certificates ?? [];
      for (const cert of certificates) if (cert.CertificateId && isOwnAlias(binding, cert.Alias)) ids.push(cert.CertificateId);
      offset += certificates.length;
      if (certificates.length === 0 || offset >= (answer.TotalCount ?? 0)) break;
    }
  } catch (err) {
    // Not fatal: the recorded ids can still be pruned, and the next prune lists again.
    const error = classify(err, { action: 'DescribeCertificates', scrub: (t) => account.scrubber().scrub(t) });
    logger.warn({ binding: `${binding.namespace}/${binding.name}`, code: error.code, requestId: error.requestId }, `cannot list uploads to prune: ${error.message}`);
  }
  return ids;
}

async function waitForTasks(deps: PruneDeps, tasks: Map<string, string>, result: PruneResult, signal: AbortSignal | undefined): Promise<void> {
  const { account, polling, clock } = deps;
  const scrub = (text: string) => account.scrubber().scrub(text);
  const pending = new Map(tasks);
  for (let attempt = 0; pending.size > 0 && attempt < polling.attempts; attempt++) {
    try {
      await clock.sleep(polling.intervalMs, signal);
      for (const batch of chunks([...pending.keys()], TASK_IDS_PER_CALL)) {
        const answer = await account.ssl('DescribeDeleteCertificatesTaskResult', { TaskIds: batch }, { signal });
        for (const task of answer.DeleteTaskResult ?? []) {
          const certificateId = task.TaskId ? pending.get(task.TaskId) : undefined;
          if (!task.TaskId || !certificateId || !task.Status) continue; // unknown task, or Status 0: still running
          pending.delete(task.TaskId);
          if (task.Status === 1) {
            result.deleted.push(certificateId);
          } else {
            const known = DELETE_TASK_STATUS[task.Status] ?? { code: 'DeleteTask.Failed', message: `the deletion task ended with status ${task.Status}` };
            const detail = task.Error ? ` (${task.Error})` : '';
            result.failed.push({
              certificateId,
              error: providerError(known.code, `DeleteCertificate ${certificateId}: ${known.message}${detail}`, scrub, answer.RequestId),
            });
          }
        }
      }
    } catch (err) {
      const error = classify(err, { action: 'DescribeDeleteCertificatesTaskResult', scrub });
      for (const certificateId of pending.values()) result.failed.push({ certificateId, error });
      return;
    }
  }
  for (const [taskId, certificateId] of pending) {
    result.failed.push({
      certificateId,
      error: providerError('DeleteTask.Pending', `DeleteCertificate ${certificateId}: task ${taskId} still running; checked again at the next prune`, scrub),
    });
  }
}
