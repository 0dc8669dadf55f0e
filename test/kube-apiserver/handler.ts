// HTTP routing: turns a request into a registry call and the result into the
// response kube-apiserver would send (status codes, Status bodies, headers).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './discovery.ts';
import { ApiError, badRequest, internalError, methodNotAllowed, notFoundPath, unsupportedMediaType } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import { isObject, type JsonObject } from './objects.ts';
import type { DeleteOptions, Registry } from './registry.ts';
import { requestInfo, type RequestInfo } from './request-info.ts';
import type { RequestRecord } from './request-log.ts';

const BODY_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, code: number, body: string | object, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.code, err.status, err.headers);
}

/** Decodes a create/update body (JSON or YAML) into an object; anything else is 400/415. */
function decodeObjectBody(contentType: string, raw: string): JsonObject {
  if (contentType !== 'application/json' && contentType !== 'application/yaml' && contentType !== '') {
    throw unsupportedMediaType(BODY_MEDIA_TYPES);
  }
  let parsed: unknown;
  try {
    parsed = contentType === 'application/yaml' ? parseYaml(raw) : JSON.parse(raw);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw badRequest("couldn't get version/kind; json parse error: json: cannot unmarshal into Go value of type struct");
  return parsed;
}

function deleteOptions(url: URL, raw: string): DeleteOptions {
  const options: DeleteOptions = { dryRun: url.searchParams.has('dryRun') };
  if (raw.trim() === '') return options;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  if (isObject(body)) {
    if (isObject(body.preconditions)) {
      const p = body.preconditions;
      options.preconditions = {
        ...(typeof p.uid === 'string' ? { uid: p.uid } : {}),
        ...(typeof p.resourceVersion === 'string' ? { resourceVersion: p.resourceVersion } : {}),
      };
    }
    if (Array.isArray(body.dryRun) && body.dryRun.length > 0) options.dryRun = true;
  }
  return options;
}

export interface HandlerContext {
  registry: Registry;
  faults: FaultInjector;
  requests: RequestRecord[];
  serverAddress(): string;
}

export function createHandler(ctx: HandlerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(res, err instanceof ApiError ? err : internalError((err as Error).message ?? String(err)));
    });
  };
}

function record(ctx: HandlerContext, info: RequestInfo, req: IncomingMessage, res: ServerResponse): void {
  const entry: RequestRecord = { verb: info.verb, apiGroup: info.apiGroup, resource: info.resource, status: 0, path: info.path };
  if (info.subresource) entry.subresource = info.subresource;
  if (info.namespace) entry.namespace = info.namespace;
  if (info.name) entry.name = info.name;
  const ua = req.headers['user-agent'];
  if (ua) entry.userAgent = ua;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) entry.user = auth.slice('Bearer '.length);
  ctx.requests.push(entry);
  const originalWriteHead = res.writeHead.bind(res);
  res.writeHead = ((code: number, ...rest: unknown[]) => {
    entry.status = code;
    return (originalWriteHead as (...a: unknown[]) => ServerResponse)(code, ...rest);
  }) as typeof res.writeHead;
}

async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const info = requestInfo(method, url);
  record(ctx, info, req, res);

  const delayMs = ctx.faults.takeDelay(info);
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  const raw = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);

  if (!info.isResourceRequest) return nonResource(ctx, url, method, res);

  const rt = ctx.registry.resourceType(info.apiGroup, info.apiVersion, info.resource);
  if (!rt) throw notFoundPath();
  if (info.subresource && !(info.subresource === 'status' && rt.statusSubresource)) throw notFoundPath();
  if (!rt.namespaced && info.namespace && !(rt.resource === 'namespaces' && rt.group === '')) throw notFoundPath();

  const injected = ctx.faults.takeError(info, rt.group);
  if (injected) return sendError(res, injected);

  const namespace = rt.namespaced ? info.namespace || undefined : undefined;
  const q = url.searchParams;
  const writeOptions = { dryRun: q.has('dryRun'), ...(info.subresource ? { subresource: info.subresource } : {}) };
  const registry = ctx.registry;

  switch (info.verb) {
    case 'get': {
      const found = registry.get(rt, namespace, info.name);
      return sendJson(res, 200, found.json);
    }
    case 'list':
      if (info.subresource) throw methodNotAllowed();
      return sendJson(res, 200, await registry.list(rt, namespace, listParams(q)));
    case 'watch':
      if (info.name) {
        // A watch on one object is a watch with a metadata.name field selector.
        const selector = [`metadata.name=${info.name}`, q.get('fieldSelector')].filter(Boolean).join(',');
        q.set('fieldSelector', selector);
      }
      return registry.watch(
        rt,
        namespace,
        {
          ...listParams(q),
          allowWatchBookmarks: q.get('allowWatchBookmarks'),
          timeoutSeconds: q.get('timeoutSeconds'),
          sendInitialEvents: q.get('sendInitialEvents'),
        },
        res,
        ctx.faults.shouldStall(rt.resource),
      );
    case 'create': {
      if (info.name) throw methodNotAllowed();
      const body = decodeObjectBody(mediaType(req), raw);
      const result = registry.create(rt, namespace, body, writeOptions);
      return sendJson(res, 201, result.object.json);
    }
    case 'update': {
      if (!info.name) throw methodNotAllowed();
      const body = decodeObjectBody(mediaType(req), raw);
      const result = registry.update(rt, namespace, info.name, body, writeOptions);
      return sendJson(res, result.created ? 201 : 200, result.object.json);
    }
    case 'patch': {
      if (!info.name) throw methodNotAllowed();
      const result = registry.patch(rt, namespace, info.name, mediaType(req), raw, writeOptions);
      return sendJson(res, 200, result.object.json);
    }
    case 'delete': {
      if (info.subresource) throw methodNotAllowed();
      const result = registry.delete(rt, namespace, info.name, deleteOptions(url, raw));
      return sendJson(res, 200, 'object' in result ? result.object.json : result.status);
    }
    case 'deletecollection':
      return sendJson(res, 200, registry.deleteCollection(rt, namespace, listParams(q), deleteOptions(url, raw)));
    default:
      throw methodNotAllowed();
  }
}

function listParams(q: URLSearchParams) {
  return {
    labelSelector: q.get('labelSelector'),
    fieldSelector: q.get('fieldSelector'),
    limit: q.get('limit'),
    continue: q.get('continue'),
    resourceVersion: q.get('resourceVersion'),
    resourceVersionMatch: q.get('resourceVersionMatch'),
  };
}

function nonResource(ctx: HandlerContext, url: URL, method: string, res: ServerResponse): void {
  if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const types = ctx.registry.resourceTypes();
  if (path === '/healthz' || path === '/readyz' || path === '/livez') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
    return;
  }
  if (path === '/version') return sendJson(res, 200, SERVER_VERSION);
  if (path === '/api') return sendJson(res, 200, apiVersions(ctx.serverAddress()));
  if (path === '/apis') return sendJson(res, 200, apiGroupList(types));
  const parts = path.split('/').filter(Boolean);
  let doc: object | undefined;
  if (parts[0] === 'api' && parts.length === 2) doc = apiResourceList(types, '', parts[1]!);
  else if (parts[0] === 'apis' && parts.length === 2) doc = apiGroup(types, parts[1]!);
  else if (parts[0] === 'apis' && parts.length === 3) doc = apiResourceList(types, parts[1]!, parts[2]!);
  if (!doc) throw notFoundPath();
  sendJson(res, 200, doc);
}
