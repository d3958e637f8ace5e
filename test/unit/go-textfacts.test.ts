/** What the Go analysis reads from a package's text: error predicates (go-errpred.ts) and GOOS constants (go-platform.ts). */
import * as assert from 'node:assert/strict';
import { isErrPredicate } from '../../src/spawnsites/go-errpred';
import { goosComparison, goosConstIn } from '../../src/spawnsites/go-platform';

describe('Go error predicates', () => {
  const one = (text: string, name = 'isX') => isErrPredicate([text], name);

  it('takes one-line wrappers of errors.Is / errors.As / os.IsX, false and err != nil', () => {
    assert.equal(one('func isX(err error) bool { return errors.Is(err, syscall.ENOEXEC) }'), true);
    assert.equal(one('func isX(e error) bool {\n\treturn errors.As(e, &target)\n}'), true);
    assert.equal(one('func isX(err error) bool { return os.IsNotExist(err) || os.IsPermission(err) }'), true);
    assert.equal(one('func isX(err error) bool { return err != nil && strings.Contains(err.Error(), "busy") }'), true);
    assert.equal(one('func isX(err error) bool { return false }'), true);
    assert.equal(one('func isX(err error) bool { return errors.Is(err, fs.ErrNotExist) || errors.Is(err, wrap(syscall.ENOENT)) }'), true);
  });

  it('refuses what may be true for nil, other shapes, and a build-tag twin with another body', () => {
    assert.equal(one('func isX(err error) bool { return err == nil || errors.Is(err, syscall.EAGAIN) }'), false);
    assert.equal(one('func isX(err error) bool { return errors.Is(other, syscall.EAGAIN) }'), false);
    assert.equal(one('func isX(err error) bool { return true }'), false);
    assert.equal(one('func isX(err error) bool {\n\tlog.Print(err)\n\treturn errors.Is(err, io.EOF)\n}'), false);
    assert.equal(one('func isX(err error, strict bool) bool { return errors.Is(err, io.EOF) }'), false);
    assert.equal(one('func isX[T any](err error) bool { return errors.Is(err, io.EOF) }'), false);
    assert.equal(isErrPredicate(['func isX(err error) bool { return errors.Is(err, io.EOF) }', 'func isX(err error) bool { return retry(err) }'], 'isX'), false);
  });

  it('says undefined when nothing declares it, and reads no method as the function', () => {
    assert.equal(one('func other(err error) bool { return false }'), undefined);
    assert.equal(one('func (s *S) isX(err error) bool { return err == nil }'), undefined);
    assert.equal(one('func isXY(err error) bool { return err == nil }'), undefined);
  });
});

describe('Go platform constants', () => {
  it('decides a GOOS comparison only when every OS with zombies gives it one value', () => {
    assert.equal(goosComparison('==', 'windows'), false);
    assert.equal(goosComparison('!=', 'windows'), true);
    assert.equal(goosComparison('==', 'js'), false);
    assert.equal(goosComparison('==', 'linux'), undefined);
    assert.equal(goosComparison('!=', 'plan9'), undefined);
    assert.equal(goosComparison('<', 'windows'), undefined);
  });

  it('reads a constant made of one, in its package (syncthing lib/build shape), and nothing assigned twice', () => {
    const build = 'package build\n\nimport "runtime"\n\nconst (\n\tWindows = "windows"\n\tLinux = "linux"\n)\n\nvar (\n\tIsLinux   = runtime.GOOS == Linux\n\tIsWindows = runtime.GOOS == Windows\n)\n';
    assert.deepEqual(goosConstIn([build], 'IsWindows'), { holds: false, words: 'runtime.GOOS == Windows' });
    assert.equal(goosConstIn([build], 'IsLinux'), undefined);
    assert.equal(goosConstIn([build, 'package build\n\nfunc init() { IsWindows = true }\n'], 'IsWindows'), undefined);
    assert.deepEqual(goosConstIn(['package p\n\nimport goruntime "runtime"\n\nconst notWin = goruntime.GOOS != "windows"\n'], 'notWin'), { holds: true, words: 'goruntime.GOOS != "windows"' });
    assert.equal(goosConstIn(['package p\n\nimport "example.com/runtime"\n\nconst w = runtime.GOOS == "windows"\n'], 'w'), undefined);
    assert.equal(goosConstIn(['package p\n\nvar w = runtime.GOOS == "windows" || debug\n'], 'w'), undefined);
  });
});
