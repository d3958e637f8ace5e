/** Which package functions read as "true only for an error" (src/spawnsites/go-errpred.ts). */
import * as assert from 'node:assert/strict';
import { isErrPredicate } from '../../src/spawnsites/go-errpred';

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
