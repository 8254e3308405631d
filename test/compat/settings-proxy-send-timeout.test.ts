// Replays kubernetes/ingress-nginx test/e2e/settings/proxy_send_timeout.go ("proxy-send-timeout")
// through Portico's render pipeline, a real nginx and an echo backend (shape: ./timeout-setting.ts).
import { describeTimeoutSetting } from './timeout-setting.js';

describeTimeoutSetting({
  file: 'settings/proxy_send_timeout.go',
  key: 'proxy-send-timeout',
  directive: 'proxy_send_timeout',
  host: 'proxy-send-timeout.com',
  // It("should set valid proxy send timeouts using configmap values")
  valid: { it: 'should set valid proxy send timeouts using configmap values', value: '20' },
  // It("should not set invalid proxy send timeouts using configmap values")
  invalid: { it: 'should not set invalid proxy send timeouts using configmap values', value: '20k' },
  defaultSeconds: 60,
});
