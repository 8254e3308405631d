// Replays kubernetes/ingress-nginx test/e2e/annotations/ipwhitelist.go ("whitelist-source-range", the older
// name of allowlist-source-range) as real requests through Portico's render pipeline, a real nginx and an
// echo backend (source-range-allowlist.ts).
import { replayAllowlist } from './source-range-allowlist.js';

replayAllowlist('whitelist');
