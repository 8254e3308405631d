// Replays kubernetes/ingress-nginx test/e2e/settings/proxy_connect_timeout.go ("proxy-connect-timeout")
// through Portico's render pipeline, a real nginx and an echo backend (shape: ./timeout-setting.ts).
import { describeTimeoutSetting } from './timeout-setting.js';

describeTimeoutSetting({
  file: 'settings/proxy_connect_timeout.go',
  key: 'proxy-connect-timeout',
  directive: 'proxy_connect_timeout',
  host: 'proxy-connect-timeout.com',
  // It("should set valid proxy timeouts using configmap values")
  valid: { it: 'should set valid proxy timeouts using configmap values', value: '50' },
  // It("should not set invalid proxy timeouts using configmap values")
  invalid: { it: 'should not set invalid proxy timeouts using configmap values', value: '50k' },
  defaultSeconds: 5,
});
