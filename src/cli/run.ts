import { Command, InvalidArgumentError, Option } from 'commander';
import { isIP } from 'node:net';
import { DEFAULT_MODEL_OPTIONS } from '../model/types.js';
import { LOG_LEVELS } from '../log.js';
import { addCommonFlags, type RunFlags } from './options.js';

function port(allowZero: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 65535 || (n < 1 && !allowZero)) throw new InvalidArgumentError(`must be a port number from ${allowZero ? 0 : 1} to 65535`);
    return n;
  };
}

function millis(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 600000) throw new InvalidArgumentError('must be a number of milliseconds from 0 to 600000');
  return Number(value);
}

function addresses(value: string, previous: string[] | undefined): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of list) {
    if (!/^[A-Za-z0-9.:-]+$/.test(a) || a.length > 253) throw new InvalidArgumentError(`${JSON.stringify(a)} is not an IP address or host name`);
  }
  return [...(previous ?? []), ...list];
}

function ipAddress(value: string): string {
  if (isIP(value) === 0) throw new InvalidArgumentError('must be an IP address (127.0.0.1, ::1, 0.0.0.0 for every interface)');
  return value;
}

function namespacedName(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) throw new InvalidArgumentError('must be NAMESPACE/NAME');
  return value;
}

export function runCommand(): Command {
  const cmd = new Command('run').description('run the controller: keep a supervised nginx in step with the cluster (or with --manifests, a watched directory)');
  addCommonFlags(cmd, false)
    .option('--kubeconfig <file>', 'kubeconfig to reach the API server (default: in-cluster configuration)')
    .option('--watch-namespace <namespace>', 'watch namespaced objects in this namespace only')
    .option('--publish-service <namespace/name>', 'Service whose address is published in Ingress status', namespacedName)
    .option('--publish-status-address <addr>', 'address(es) published in Ingress status (repeatable or comma list)', addresses)
    .option('--election-id <name>', 'name of the Lease used for leader election', 'portico-leader')
    .option('--metrics-port <n>', 'port of /healthz, /readyz and /metrics (all interfaces)', port(true), 10254)
    .option('--status-port <n>', "loopback port of nginx's stub_status (scraped into /metrics); 0 turns it off", port(true), 10246)
    .option('--debug-port <n>', 'port of /debug/config (the nginx.conf in force); 0 turns it off', port(true), 10245)
    .option('--debug-address <addr>', 'address the debug port listens on: loopback unless opened (0.0.0.0: every interface)', ipAddress, '127.0.0.1')
    .option('--debounce-ms <ms>', 'changes this close together are coalesced into one sync; the first change after a quiet period syncs at once', millis, 100)
    .option('--min-reload-interval-ms <ms>', 'minimum time between two nginx reloads', millis, 1000)
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'text']).default('json'))
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]).default('info'))
    .option('--nginx-binary <path>', 'the nginx executable', 'nginx')
    .option('--dynamic-endpoints', "update round-robin upstreams' endpoints in place instead of reloading nginx (needs Debian's libnginx-mod-http-lua; see README for its cost at scale)", false)
    .option('--nginx-modules-dir <dir>', "where nginx's dynamic modules are", DEFAULT_MODEL_OPTIONS.nginxModulesDir)
    .option('--healthz-stall-ms <ms>', '/healthz fails when a sync has completed no step (render, nginx -t, apply) for this long', millis, 120000);
  cmd.action(async (flags: RunFlags) => {
    // The controller's modules (winston, prom-client, chokidar, execa) load only for `run`: `render` starts faster without them.
    const { runController } = await import('./run-controller.js');
    process.exitCode = await runController(flags);
  });
  return cmd;
}
