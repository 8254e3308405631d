import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { NginxProcess } from '../apply/nginx-process.js';
import { prepareStateDir } from '../apply/state-dir.js';
import { luaModules, newPushToken, pushTokenDigest } from '../model/dynamic-endpoints.js';
import { stateDirProblem, withFileNameKey } from '../pipeline.js';
import { loadTemplateSources } from '../render/templates.js';
import { startDebugServer, startStatusServer, type StatusServer } from '../report/http-server.js';
import { createLogger } from '../report/logger.js';
import { ControllerMetrics } from '../report/metrics.js';
import type { Reporter } from '../report/observer.js';
import { createDirectorySource } from '../sources/directory.js';
import { ManifestError } from '../sources/manifests.js';
import type { Source } from '../sources/source.js';
import { composeSyncLoop } from './compose.js';
import { EXIT_FAILED, EXIT_USAGE, ExitError } from './exit.js';
import { installedHeadersMore, installedLua, installedModsecurity, installedSetMisc, modelOptionsFrom, type RunFlags } from './options.js';

/** Runs until SIGTERM/SIGINT (exit 0 after nginx quit gracefully) or until nginx cannot be kept up (1). */
export async function runController(flags: RunFlags): Promise<number> {
  const logger = createLogger({ format: flags.logFormat, level: flags.logLevel });
  const { luaModule } = luaModules(flags.nginxModulesDir);
  const dynamicEndpoints = flags.dynamicEndpoints && flags.statusPort > 0 && existsSync(luaModule);
  if (flags.dynamicEndpoints && !dynamicEndpoints) {
    logger.warn('dynamic endpoints are off: endpoint changes reload nginx', {
      reason: flags.statusPort > 0 ? `no ${luaModule} (Debian package libnginx-mod-http-lua)` : 'they need the status port (--status-port 0 turns it off)',
    });
  }
  // Generated at every start, kept in memory only: nginx.conf gets its digest (model/dynamic-endpoints.ts).
  const endpointPushToken = dynamicEndpoints ? newPushToken() : undefined;
  const modelOptions = {
    ...modelOptionsFrom(flags),
    statusPort: flags.statusPort || undefined,
    dynamicEndpoints,
    nginxModulesDir: flags.nginxModulesDir,
    headersMoreModule: installedHeadersMore(flags.nginxModulesDir),
    setMiscModule: installedSetMisc(flags.nginxModulesDir),
    luaModule: installedLua(flags.nginxModulesDir),
    modsecurityModule: installedModsecurity(flags.nginxModulesDir),
    controllerPorts: [flags.metricsPort, flags.debugPort].filter((p) => p > 0),
    endpointPushDigest: endpointPushToken === undefined ? undefined : pushTokenDigest(endpointPushToken),
  };
  const metrics = new ControllerMetrics({ stubStatusPort: modelOptions.statusPort, defaultMetrics: true });
  await prepareStateDir(modelOptions.stateDir);
  // The worker user is the one the main template names (a `user` directive), else nginx's default.
  const stateProblem = await stateDirProblem(modelOptions.stateDir, (await loadTemplateSources(flags.templateDir).catch(() => undefined))?.get('nginx.conf') ?? '');
  if (stateProblem) throw new ExitError(EXIT_USAGE, `portico run: ${stateProblem}`);
  modelOptions.fileNameKey = (await withFileNameKey(modelOptions)).fileNameKey;

  let finish!: (code: number) => void;
  const finished = new Promise<number>((r) => (finish = r));

  const nginx = new NginxProcess({
    nginxBinary: flags.nginxBinary,
    stateDir: modelOptions.stateDir,
    logger,
    onRestart: () => {
      metrics.nginxRestarts.inc();
      loop.nginxRestarted();
    },
    onFatal: (reason) => {
      logger.error('nginx cannot be kept up; exiting', { reason });
      finish(EXIT_FAILED);
    },
  });

  let source: Source;
  const reporters: Reporter[] = [];
  try {
    if (flags.manifests && flags.manifests.length > 0) {
      source = createDirectorySource({ paths: flags.manifests, namespace: flags.namespace, logger, onManifestError: () => metrics.manifestErrors.inc() });
    } else {
      // Loaded only when needed: the client library costs start-up time that `render` and directory mode need not pay.
      const { createKubernetesSource } = await import('../sources/kubernetes.js');
      const { createKubeReporter } = await import('../report/kube/reporter.js');
      source = createKubernetesSource({ kubeconfig: flags.kubeconfig, watchNamespace: flags.watchNamespace, log: logger });
      reporters.push(
        createKubeReporter({
          kubeconfig: flags.kubeconfig,
          publishService: flags.publishService,
          publishStatusAddress: flags.publishStatusAddress,
          electionId: flags.electionId,
          electionNamespace: process.env.POD_NAMESPACE || 'portico',
          identity: process.env.POD_NAME || hostname(),
          controllerClass: flags.controllerClass,
          watchNamespace: flags.watchNamespace,
          log: logger,
        }),
      );
    }
  } catch (err) {
    throw new ExitError(EXIT_FAILED, `portico run: ${(err as Error).message}`);
  }

  const loop = composeSyncLoop({
    source,
    modelOptions,
    templateDir: flags.templateDir,
    nginxBinary: flags.nginxBinary,
    reload: () => nginx.reload(),
    log: logger,
    metrics,
    reporters,
    debounceMs: flags.debounceMs,
    minReloadIntervalMs: flags.minReloadIntervalMs,
    endpointPushToken,
  });

  let server: StatusServer | undefined;
  let debugServer: StatusServer | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info('shutting down: nginx finishes in-flight requests', { signal });
    finish(0);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  // Node's default for SIGHUP is to exit, which left nginx running unsupervised: a HUP re-reads instead.
  const onHangup = () => {
    logger.info('SIGHUP: re-reading templates and manifests and reloading nginx', { signal: 'SIGHUP', templateDir: flags.templateDir });
    loop.resync('SIGHUP').catch((err: Error) => logger.error('re-read after SIGHUP failed', { error: err.message }));
  };
  process.on('SIGHUP', onHangup);

  let code: number;
  try {
    // Before the metrics port: a probe that answers means the debug port is up too.
    if (flags.debugPort > 0) {
      // Optional: a debug port someone else holds is told, and the controller serves on without it.
      debugServer = await startDebugServer({ port: flags.debugPort, host: flags.debugAddress, probe: { configInForce: () => loop.configInForce } }).catch((err: Error) => {
        logger.error('the debug server is not started', { address: flags.debugAddress, port: flags.debugPort, error: err.message });
        return undefined;
      });
    }
    server = await startStatusServer({
      port: flags.metricsPort,
      metrics,
      probe: {
        healthy: () => {
          if (loop.ready && !nginx.running) return { ok: false, reason: 'nginx is not running' };
          const unresponsive = loop.ready ? nginx.unresponsive : undefined;
          if (unresponsive) return { ok: false, reason: unresponsive };
          // Progress, not duration: a long sync that keeps completing steps is healthy, a wedged one is not.
          if (loop.stalledForMs > flags.healthzStallMs) {
            return { ok: false, reason: `a sync has completed no step for ${Math.round(loop.stalledForMs / 1000)}s (running for ${Math.round(loop.busyForMs / 1000)}s)` };
          }
          return { ok: true };
        },
        ready: () => loop.ready && nginx.running,
      },
    });
    logger.info('portico run started', {
      source: flags.manifests ? 'directory' : 'kubernetes',
      stateDir: modelOptions.stateDir,
      httpPort: modelOptions.httpPort,
      httpsPort: modelOptions.httpsPort,
      metricsPort: server.port,
      debug: debugServer ? `${debugServer.address.includes(':') ? `[${debugServer.address}]` : debugServer.address}:${debugServer.port}` : 'off',
      dynamicEndpoints,
    });
    await Promise.race([loop.start(), finished]);
    code = await finished;
  } catch (err) {
    if (err instanceof ManifestError) {
      logger.error('cannot read manifests', { error: err.message });
      code = EXIT_USAGE;
    } else {
      logger.error('controller failed', { error: (err as Error).stack ?? String(err) });
      code = EXIT_FAILED;
    }
  }
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
  // The SIGHUP listener stays: a HUP while nginx quits must not kill the controller half-way (resync is a no-op now).
  await loop.stop().catch((err: Error) => logger.error('stopping the sync loop', { error: err.message }));
  await nginx.stop();
  await server?.close();
  await debugServer?.close();
  logger.info('portico run stopped', { exitCode: code });
  await new Promise<void>((r) => logger.on('finish', r).end());
  // Anything a library left open must not keep a stopped controller alive.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}
