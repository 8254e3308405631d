import { describe, expect, test } from '@jest/globals';
import { checkProblems } from '../apply/apply.js';
import { checkReason, placeOfLine } from './check-reason.js';

const conf = [
  'http {',
  '    map $http_x $v {',
  '        "~^a" 1;',
  '    }',
  '    server {',
  '        listen 80;',
  '        server_name "app.test";',
  '        location = "/x" {',
  '            proxy_pass http://u;',
  '        }',
  '        location ^~ "/y/" {',
  '            bogus on;',
  '        }',
  '    }',
  '}',
].join('\n');

describe('placeOfLine', () => {
  test('names the server, the location and the directive of a line', () => {
    expect(placeOfLine(conf, 12)).toEqual({ server: 'app.test', location: '^~ "/y/"', directive: 'bogus' });
    expect(placeOfLine(conf, 9)).toEqual({ server: 'app.test', location: '= "/x"', directive: 'proxy_pass' });
  });

  test('a block refused on its opening line is the place itself; http-level lines have no server', () => {
    expect(placeOfLine(conf, 11)).toMatchObject({ server: 'app.test', location: '^~ "/y/"', directive: 'location' });
    expect(placeOfLine(conf, 3)).toEqual({ server: undefined, location: undefined, directive: '"~^a"' });
    expect(placeOfLine(conf, 99)).toEqual({});
  });
});

describe('checkReason', () => {
  test('the same fault at another line of another temp file gives the same reason, without the file', () => {
    const at = (file: string, line: number) => checkProblems(`nginx: [emerg] unknown directive "bogus" in ${file}:${line}\n`, file);
    const shifted = `\n\n${conf}`;
    const a = checkReason(at('/s/.nginx.conf.check-1-1', 12), conf, '');
    const b = checkReason(at('/s/.nginx.conf.check-2-7', 14), shifted, '');
    expect(a).toBe('[emerg] unknown directive "bogus" (server "app.test", location ^~ "/y/", directive "bogus")');
    expect(b).toBe(a);
  });

  test('a message about another file keeps that file; no line, no place', () => {
    const problems = checkProblems('nginx: [emerg] cannot load certificate "/s/c.pem" in /s/other.conf:3\nnginx: [emerg] host not found in /t/.c:1', '/t/.c');
    expect(problems).toEqual([
      { level: 'emerg', message: 'cannot load certificate "/s/c.pem" in /s/other.conf:3', line: undefined },
      { level: 'emerg', message: 'host not found', line: 1 },
    ]);
    expect(checkReason([], conf, 'fallback')).toBe('fallback');
  });
});
