// Replays kubernetes/ingress-nginx test/e2e/settings/proxy_read_timeout.go ("proxy-read-timeout")
// through Portico's render pipeline, a real nginx and an echo backend (shape: ./timeout-setting.ts).
import { describeTimeoutSetting } from './timeout-setting.js';

describeTimeoutSetting({
  file: 'settings/proxy_read_timeout.go',
  key: 'proxy-read-timeout',
  directive: 'proxy_read_timeout',
  host: 'proxy-read-timeout.com',
  // It("should set valid proxy read timeouts using configmap values")
  valid: { it: 'should set valid proxy read timeouts using configmap values', value: '20' },
  // It("should not set invalid proxy read timeouts using configmap values")
  invalid: { it: 'should not set invalid proxy read timeouts using configmap values', value: '20k' },
  defaultSeconds: 60,
});
