// The request and response shapes of the actions this provider calls.
//
// EdgeOne (teo 2022-09-01) shapes come from the SDK's own models. There is no
// SSL Certificates package installed (calls go through CommonClient), so the
// few fields we send and read are written out here from the API reference
// (ssl 2019-12-05). Every response field is optional: the service omits or
// nulls fields freely, and the code reading them must say what it does then.
import type {
  DescribeAccelerationDomainsRequest,
  DescribeAccelerationDomainsResponse,
  ModifyHostsCertificateRequest,
  ModifyHostsCertificateResponse,
} from 'tencentcloud-sdk-nodejs-teo/tencentcloud/services/teo/v20220901/teo_models.js';

export type { AccelerationDomain } from 'tencentcloud-sdk-nodejs-teo/tencentcloud/services/teo/v20220901/teo_models.js';

export interface TeoActions {
  DescribeAccelerationDomains: { request: DescribeAccelerationDomainsRequest; response: DescribeAccelerationDomainsResponse };
  ModifyHostsCertificate: { request: ModifyHostsCertificateRequest; response: ModifyHostsCertificateResponse };
}

export interface SslActions {
  UploadCertificate: {
    request: {
      CertificatePublicKey: string;
      CertificatePrivateKey: string;
      CertificateType: 'SVR';
      Alias: string;
      /** Documented default true; false returns the id of an identical certificate instead of a copy. */
      Repeatable: boolean;
    };
    response: { CertificateId?: string | null; RepeatCertId?: string | null; RequestId?: string };
  };
  DescribeCertificateDetail: {
    request: { CertificateId: string };
    // The answer also carries CertificatePrivateKey; it is deliberately not declared, so nothing reads it.
    response: { CertificateId?: string | null; CertificatePublicKey?: string | null; Alias?: string | null; RequestId?: string };
  };
  DescribeCertificates: {
    request: { SearchKey?: string; Offset?: number; Limit?: number; CertificateType?: string; FilterSource?: string };
    response: {
      TotalCount?: number | null;
      Certificates?: Array<{ CertificateId?: string | null; Alias?: string | null }> | null;
      RequestId?: string;
    };
  };
  DeleteCertificate: {
    request: { CertificateId: string; IsCheckResource?: boolean };
    response: { DeleteResult?: boolean | null; TaskId?: string | null; RequestId?: string };
  };
  DescribeDeleteCertificatesTaskResult: {
    request: { TaskIds: string[] };
    response: {
      DeleteTaskResult?: Array<{ TaskId?: string | null; CertId?: string | null; Status?: number | null; Error?: string | null }> | null;
      RequestId?: string;
    };
  };
}

export type TeoAction = keyof TeoActions;
export type SslAction = keyof SslActions;

/** The SSL Certificates API version (the host part comes from the endpoint). */
export const SSL_VERSION = '2019-12-05';
export const TEO_HOST = 'teo.tencentcloudapi.com';
export const SSL_HOST = 'ssl.tencentcloudapi.com';
