export { TestApiServer, type TestApiServerOptions } from './server.ts';
export type { Faults, InjectRule, DelayRule } from './faults.ts';
export type { RequestRecord } from './request-log.ts';
