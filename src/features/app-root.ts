import { checkLiteralPath } from '../model/validate.js';
import { AnnotationError, fallBack, type Feature } from './feature.js';

export interface AppRootAnnotation {
  /** app-root: requests for `/` are answered with a 302 to this path (server level, oldest Ingress of the host). */
  path: string | undefined;
}

declare module '../model/types.js' {
  interface FeatureValues {
    appRoot: AppRootAnnotation;
  }
}

export const appRootFeature: Feature<AppRootAnnotation> = {
  name: 'app-root',
  keys: ['app-root'],
  serverKeys: (v) => (v.path ? ['app-root'] : []),
  parse(input) {
    const raw = input.get('app-root');
    if (raw === undefined) return { path: undefined };
    const path = raw.trim();
    const reason = checkLiteralPath(path);
    // ingress-nginx ignores an app-root that is not an absolute path (e.g. `foo`), with a warning.
    if (reason) return { path: fallBack(input, 'app-root', raw, reason, 'no app-root redirect') };
    if (path === '/') throw new AnnotationError('app-root', 'must not be "/" (it would redirect "/" to itself)');
    return { path };
  },
};
