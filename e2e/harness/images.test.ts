import { describe, expect, it } from '@jest/globals';
import { defaultImages, imageRepository, lookupImage } from './images.js';

describe('image map', () => {
  it('keys images by repository, without tag or digest', () => {
    expect(imageRepository('registry.k8s.io/gateway-api/echo-basic:v1.5.1')).toBe('registry.k8s.io/gateway-api/echo-basic');
    expect(imageRepository('registry.k8s.io/coredns/coredns@sha256:abc')).toBe('registry.k8s.io/coredns/coredns');
    expect(imageRepository('localhost:5000/app:1')).toBe('localhost:5000/app');
    expect(imageRepository('nginx:1.27')).toBe('docker.io/library/nginx');
    expect(imageRepository('bitnami/nginx')).toBe('docker.io/bitnami/nginx');
  });

  it('runs echo-basic only when it was built, stubs coredns, maps nothing else', () => {
    const without = defaultImages();
    expect(lookupImage(without, 'registry.k8s.io/gateway-api/echo-basic:v1.5.1')).toBeUndefined();
    const withBasic = defaultImages({ echoBasic: '/cache/echo-basic' });
    expect(lookupImage(withBasic, 'registry.k8s.io/gateway-api/echo-basic:v1.6.0-dev.3')).toEqual({ kind: 'program', entrypoint: ['/cache/echo-basic'], cmd: [] });
    expect(lookupImage(withBasic, 'registry.k8s.io/coredns/coredns:v1.12.2')?.kind).toBe('stub');
    expect(lookupImage(withBasic, 'nginx')).toBeUndefined();
    expect(lookupImage(withBasic, 'registry.k8s.io/gateway-api/echo-basic-evil:v1')).toBeUndefined();
  });
});
