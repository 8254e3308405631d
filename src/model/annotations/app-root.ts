import { checkLiteralPath } from '../validate.js';
import { AnnotationError, type AnnotationFamily } from './types.js';

export interface AppRootAnnotation {
  /** app-root: requests for `/` are answered with a 302 to this path (server level, oldest Ingress of the host). */
  path: string | undefined;
}

export const appRootFamily: AnnotationFamily<AppRootAnnotation> = {
  keys: ['app-root'],
  parse(input) {
    const raw = input.get('app-root');
    if (raw === undefined) return { path: undefined };
    const path = raw.trim();
    const reason = checkLiteralPath(path);
    if (reason) throw new AnnotationError('app-root', reason);
    if (path === '/') throw new AnnotationError('app-root', 'must not be "/" (it would redirect "/" to itself)');
    return { path };
  },
};
