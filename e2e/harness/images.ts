// The process kubelet's images: a repository (registry/path, without tag or digest) maps to a program
// on this machine, never by guess. An image whose repository is not here is never run: its Pod stays
// Pending with a Warning Event.
import { resolve } from 'node:path';
import type { ImageDefaults } from './pod-spec.js';

/** What a mapped image runs: a program (entrypoint + default args), or a stub that is Ready and runs nothing. */
export type ImageRunner = ({ kind: 'program' } & ImageDefaults) | { kind: 'stub'; why: string };

export type ImageMap = ReadonlyMap<string, ImageRunner>;

/** registry.k8s.io/gateway-api/echo-basic:v1.5.1 → registry.k8s.io/gateway-api/echo-basic */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const repo = colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
  // docker.io's short forms: nginx → docker.io/library/nginx.
  const first = repo.split('/')[0]!;
  const hasRegistry = repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return repo;
  return repo.includes('/') ? `docker.io/${repo}` : `docker.io/library/${repo}`;
}

export function lookupImage(images: ImageMap, image: string): ImageRunner | undefined {
  return images.get(imageRepository(image));
}

/** The repository of the project's own echo backend (test/support/echo-server.mjs: NAME PORT HOST). */
export const ECHO_IMAGE = 'portico.e2e/echo-server';

/**
 * The images every e2e test may use: the project's echo server; with the conformance build, the Gateway
 * API suite's echo-basic (and the old ingress conformance echoserver, which it replaced); coredns as a stub
 * (its Corefile forwards to public resolvers: it must never run here).
 */
export function defaultImages(opts: { echoBasic?: string } = {}): ImageMap {
  const images = new Map<string, ImageRunner>();
  images.set(ECHO_IMAGE, { kind: 'program', entrypoint: [process.execPath, resolve(process.cwd(), 'test', 'support', 'echo-server.mjs')], cmd: [] });
  if (opts.echoBasic) {
    const echoBasic: ImageRunner = { kind: 'program', entrypoint: [opts.echoBasic], cmd: [] };
    images.set('registry.k8s.io/gateway-api/echo-basic', echoBasic);
    images.set('gcr.io/k8s-staging-gateway-api/echo-basic', echoBasic);
    images.set('gcr.io/k8s-staging-ingressconformance/echoserver', echoBasic);
    images.set('registry.k8s.io/ingressconformance/echoserver', echoBasic);
  }
  images.set('registry.k8s.io/coredns/coredns', { kind: 'stub', why: 'coredns forwards to public resolvers; it never runs in the e2e harness' });
  return images;
}
