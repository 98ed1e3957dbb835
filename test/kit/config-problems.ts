/** The problems a config text is refused with, as tests compare them: line, dotted key, message. */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { parseConfigText } from '../../src/config/index.js';
import { ConfigError, ERROR_CODES } from '../../src/errors.js';

export interface ConfigProblem {
  line: number | undefined;
  key: string;
  message: string;
}

/** Parses `text` as the file `file` (relative names resolve in the temporary directory) and returns
 *  its problems; fails the test when it loads. */
export function configProblems(text: string, file = 'bad.yaml'): ConfigProblem[] {
  try {
    parseConfigText(text, file, { baseDir: tmpdir() });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, ERROR_CODES.CONFIG_INVALID);
    return err.issues.map((i) => ({ line: i.line, key: i.path.join('.'), message: i.message }));
  }
  assert.fail('expected a ConfigError');
}
