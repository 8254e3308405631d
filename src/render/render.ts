import Handlebars from 'handlebars';
import { serverNamesHashBucketSize } from '../model/hosts.js';
import { dynamicEndpointsOn, LUA_DIR, luaModules } from '../model/dynamic-endpoints.js';
import { DEFAULT_MODEL_OPTIONS, type NginxModel } from '../model/types.js';
import { HELPERS, RenderError } from './helpers.js';
import { oldLayoutProblem, type TemplateSources } from './templates.js';

export type ConfigRenderer = (model: NginxModel) => string;

/** Paths and values the templates need that follow from the model alone, so templates hold no logic. */
export interface RenderView {
  model: NginxModel;
  paths: {
    pid: string;
    errorLog: string;
    accessLog: string;
    clientBodyTemp: string;
    proxyTemp: string;
    fastcgiTemp: string;
    uwsgiTemp: string;
    scgiTemp: string;
  };
  hstsValue: string;
  /** Large enough for the longest exact server name (src/model/hosts.ts). */
  serverNamesHashBucketSize: number;
  /** nginx also listens on [::] (the machine has IPv6 and the ConfigMap's disable-ipv6 is not "true"), as ingress-nginx. */
  listenIpv6: boolean;
  /** server-tokens "false" with the headers-more module: load it and drop the Server header (as ingress-nginx). */
  clearServerHeader: { module: string } | undefined;
  /** auth-signin with an escaped rd=: the set-misc module and NDK (loaded once, also by `lua`). */
  setMisc: { ndkModule: string; module: string } | undefined;
  /** ModSecurity (features/modsecurity.ts): loaded only when a location or the ConfigMap turns it on. */
  modsecurity: { module: string } | undefined;
  /** Dynamic endpoints (nginx/portico_endpoints.lua): the modules to load and where the Lua code is. */
  lua: { ndkModule: string; luaModule: string; packagePath: string } | undefined;
  /** The access log's format when it is not nginx's `combined` as is: log-format-upstream and/or an escape. */
  accessLogFormat: { escape: 'json' | 'none' | undefined; format: string } | undefined;
  /** NDK and Lua, each loaded once for whichever feature needs it (dynamic endpoints, set-misc, cookie dates). */
  load: { ndkModule: string | undefined; luaModule: string | undefined };
}

function viewOf(model: NginxModel): RenderView {
  const state = model.options.stateDir.replace(/\/+$/, '');
  const modules = luaModules(model.options.nginxModulesDir ?? DEFAULT_MODEL_OPTIONS.nginxModulesDir!);
  // Modules the features asked for (NginxModel.modules): set-misc for auth-signin's rd=, Lua for cookie dates.
  const escapeRedirect = model.options.setMiscModule !== undefined && model.modules?.includes('set-misc') === true;
  const cookieDates = model.modules?.includes('lua') === true;
  const luaNeeded = dynamicEndpointsOn(model.options) || cookieDates;
  const hstsValue = `max-age=${model.config.hstsMaxAge}${model.config.hstsIncludeSubdomains ? '; includeSubDomains' : ''}${model.config.hstsPreload ? '; preload' : ''}`;
  return {
    model,
    paths: {
      pid: `${state}/nginx.pid`,
      errorLog: `${state}/logs/error.log`,
      accessLog: `${state}/logs/access.log`,
      clientBodyTemp: `${state}/tmp/client_body`,
      proxyTemp: `${state}/tmp/proxy`,
      fastcgiTemp: `${state}/tmp/fastcgi`,
      uwsgiTemp: `${state}/tmp/uwsgi`,
      scgiTemp: `${state}/tmp/scgi`,
    },
    hstsValue,
    serverNamesHashBucketSize: serverNamesHashBucketSize(model.servers.flatMap((s) => (s.wwwRedirect ? [...s.serverNames, s.wwwRedirect.from] : s.serverNames))),
    listenIpv6: model.options.ipv6 === true && !model.config.disableIpv6,
    setMisc: escapeRedirect ? { ndkModule: modules.ndkModule, module: model.options.setMiscModule! } : undefined,
    modsecurity: model.options.modsecurityModule && model.modules?.includes('modsecurity') ? { module: model.options.modsecurityModule } : undefined,
    clearServerHeader: !model.config.serverTokens && model.options.headersMoreModule ? { module: model.options.headersMoreModule } : undefined,
    lua: dynamicEndpointsOn(model.options)
      ? {
          ...modules,
          packagePath: `${state}/${LUA_DIR}/?.lua;;`,
        }
      : undefined,
    accessLogFormat: accessLogFormat(model),
    load: { ndkModule: luaNeeded || escapeRedirect ? modules.ndkModule : undefined, luaModule: luaNeeded ? modules.luaModule : undefined },
  };
}

/** nginx's `combined` format, written out when only its escaping changes. */
const COMBINED_FORMAT = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

function accessLogFormat(model: NginxModel): RenderView['accessLogFormat'] {
  const f = model.config.forwarding;
  // As ingress-nginx's template: escape=none is checked before escape=json.
  const escape = f.logFormatEscapeNone ? 'none' : f.logFormatEscapeJson ? 'json' : undefined;
  if (f.logFormatUpstream === undefined && escape === undefined) return undefined;
  return { escape, format: f.logFormatUpstream ?? COMBINED_FORMAT };
}

/**
 * Compiles the templates once; the returned function is pure (model in, nginx.conf text out).
 * `noEscape` because HTML escaping is wrong for nginx (the helpers quote instead); `strict` so that a
 * template naming a field the model lacks fails loudly instead of rendering an empty directive.
 */
export function compileRenderer(sources: TemplateSources): ConfigRenderer {
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries(HELPERS)) hb.registerHelper(name, fn as Handlebars.HelperDelegate);
  const main = sources.get('nginx.conf');
  if (!main) throw new RenderError('templates: nginx.conf.hbs is missing');
  const oldLayout = oldLayoutProblem(sources);
  if (oldLayout) throw new RenderError(oldLayout);
  for (const [name, source] of sources) {
    if (name !== 'nginx.conf') hb.registerPartial(name, hb.compile(source, { noEscape: true, strict: true }));
  }
  // Each feature drops its partials into features/<feature>/{http,server,location}.hbs; at each level they
  // are included in the order of the features' names, so adding a feature never edits a core template.
  // Their sources are joined into one template rather than included one by one: a partial call costs
  // about as much as a short template, and every location would pay one per feature.
  for (const level of ['http', 'server', 'location']) {
    const names = [...sources.keys()]
      .map((n) => new RegExp(`^features/([^/]+)/${level}$`).exec(n)?.[1])
      .filter((feature): feature is string => feature !== undefined)
      .sort();
    const combined = names.map((feature) => sources.get(`features/${feature}/${level}`)!.replace(/\n?$/, '\n')).join('');
    hb.registerPartial(`${level}-extra`, hb.compile(combined, { noEscape: true, strict: true }));
  }
  const template = hb.compile(main, { noEscape: true, strict: true });
  return (model) => {
    // Blank lines are squeezed block by block (the `block` helper), never over the whole text: a pass over
    // the whole config would copy it twice more at the render's peak.
    return template(viewOf(model));
  };
}
