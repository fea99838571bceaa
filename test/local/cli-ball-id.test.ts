import test from 'ava';
import { parseBall } from '../../local/cli/flags.js';

// Ball ids are base64url digests: a quarter-ish of the first characters can be '-' or '_'.
test('a ball id that begins with "-" is the id, not an option, wherever it stands', (t) => {
  for (const argv of [['-I2ttOn9m8TeBPZY.b.0'], ['-I2ttOn9m8TeBPZY.b.0', '--data-dir', '/tmp/d'], ['--data-dir', '/tmp/d', '-I2ttOn9m8TeBPZY.b.0'],
    ['--json', '--', '-I2ttOn9m8TeBPZY.b.0']]) {
    t.is(parseBall(argv, {}).id, '-I2ttOn9m8TeBPZY.b.0', argv.join(' '));
  }
  t.is(parseBall(['x', '--data-dir', '/tmp/d'], {}).dataDir, '/tmp/d');
  t.true(parseBall(['x', '--json'], {}).json);
});

test('an unknown long flag is still refused, naming it; two ids are refused', (t) => {
  t.throws(() => parseBall(['x', '--colour'], {}), { message: /colour/ });
  t.throws(() => parseBall(['-a', '-b'], {}), { message: /takes one ball ID, got 2/ });
});
