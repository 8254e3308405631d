import { describe, expect, test } from '@jest/globals';
import { rejectionLine, warningLine } from './messages.js';

describe('report lines', () => {
  test('a hostile name cannot forge a second line', () => {
    const line = rejectionLine({ ingress: { namespace: 'ns', name: 'x\nrejected Ingress ns/y: f: r' }, field: 'metadata', reason: 'bad\r\n', whole: true });
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toBe('rejected Ingress ns/x\\u000arejected Ingress ns/y: f: r: metadata: bad\\u000d\\u000a');
  });

  test('plain text is unchanged', () => {
    expect(warningLine({ object: 'Ingress a/b', message: 'annotation x is ignored' })).toBe('warning: Ingress a/b: annotation x is ignored');
    expect(warningLine({ object: 'Ingress a/b', message: 'fоо' })).toBe('warning: Ingress a/b: f\\u043e\\u043e');
  });
});
