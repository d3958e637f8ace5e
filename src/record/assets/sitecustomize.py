# Process Inspector: the Python spawn recorder (src/record/python.ts puts this file's directory
# first on PYTHONPATH; the record format is src/record/types.ts).
#
# When PROCESS_INSPECTOR_RECORD names a file at start-up, every child this interpreter starts
# through _posixsubprocess.fork_exec (subprocess, multiprocessing's spawn and forkserver),
# os.fork (multiprocessing's fork, os.spawn*, pty without forkpty), os.forkpty (pty.fork),
# os.posix_spawn or os.posix_spawnp is appended to that file as one JSON line, written by the
# parent right after the spawn returned. Not seen: os.system (C system()), C extensions calling
# fork() themselves, and interpreters started with -E, -I or -S (no PYTHONPATH or no site).
#
# The path is read once, at start-up: a program that clears os.environ still records (its
# children, started with an empty environment, do not). When the variable is unset nothing is
# wrapped at all. A record that cannot be made or written is dropped silently: the wrapped
# call's result and exceptions pass through unchanged, and nothing is ever printed. Exceptions
# that are not errors (KeyboardInterrupt, SystemExit raised by the program's own signal
# handlers) are not swallowed: CPython would raise them at the same point without us, right
# after the C call returns.
#
# The wrappers are Python functions with the originals' names and docs (__wrapped__ is the
# original): os.fork is no longer a builtin while recording. Python writes this file's bytecode
# beside it in the cache on first use; under PYTHONDONTWRITEBYTECODE every interpreter start
# compiles it again (about 1 ms here).
#
# Then the sitecustomize we shadow (Debian ships /usr/lib/python3.11/sitecustomize.py) is run
# under the name sitecustomize, and its errors propagate to site.py, which reports them as it
# would have without us. This file must stay valid Python 2 syntax: PYTHONPATH reaches every
# interpreter a program starts.
import os as _os
import sys as _sys

_ENV = 'PROCESS_INSPECTOR_RECORD'
_MAX_FRAMES = 64
_HERE = _os.path.dirname(_os.path.abspath(__file__))


def _chain_load():
    """Runs the sitecustomize that `import sitecustomize` would have found after ours: the first
    one in the sys.path entries after our directory (entries before it had none, or theirs would
    have been imported instead of us). Only those after: a second copy of this file further on
    then chain-loads what comes after *it*, never us again."""
    mine = _os.path.abspath(__file__)
    spelled = [_os.path.abspath(p or '.') for p in _sys.path]
    if _HERE in spelled:
        path = _sys.path[spelled.index(_HERE) + 1:]
    else:
        path = [p for p, a in zip(_sys.path, spelled) if a != _HERE]
    if _sys.version_info[0] < 3:
        import imp
        try:
            found = imp.find_module('sitecustomize', path)
        except ImportError:
            return
        try:
            if found[0] is None or not _same_file(found[1], mine):
                _sys.modules['sitecustomize'] = imp.load_module('sitecustomize', *found)
        finally:
            if found[0] is not None:
                found[0].close()
        return
    try:
        from _frozen_importlib_external import PathFinder
        from _frozen_importlib import module_from_spec
    except ImportError:
        from importlib.machinery import PathFinder
        from importlib.util import module_from_spec
    for _ in range(len(path) + 1):
        spec = PathFinder.find_spec('sitecustomize', path)
        if spec is None or spec.loader is None:
            return
        if spec.origin and _same_file(spec.origin, mine):
            # our own file again, through another spelling of our directory (a symlink)
            there = _os.path.dirname(_os.path.abspath(spec.origin))
            path = [p for p in path if _os.path.abspath(p or '.') != there]
            continue
        module = module_from_spec(spec)
        # As `import sitecustomize` would have: the module is sys.modules['sitecustomize'] while
        # it runs and afterwards (the import machinery returns what sys.modules holds at the
        # end); an exception propagates and the entry goes, as for a failed import.
        _sys.modules['sitecustomize'] = module
        spec.loader.exec_module(module)
        return


def _same_file(a, b):
    try:
        return _os.path.samefile(a, b)
    except Exception:
        return False


def _install(record_path):
    import time
    try:
        from _thread import get_native_id as _tid
    except ImportError:
        _tid = None
    _getframe = _sys._getframe
    _now = time.time
    _open = _os.open
    _write = _os.write
    _close = _os.close
    _read = _os.read
    _getpid = _os.getpid
    flags = _os.O_WRONLY | _os.O_APPEND | _os.O_CREAT | getattr(_os, 'O_CLOEXEC', 0)
    rdflags = _os.O_RDONLY | getattr(_os, 'O_CLOEXEC', 0)
    encoders = []

    def quote(s):
        # JSON string, ASCII only (lone surrogates from undecodable file names become \udcXX)
        if not encoders:
            try:
                from _json import encode_basestring_ascii
                encoders.append(encode_basestring_ascii)
            except ImportError:
                encoders.append(_quote_slow)
        return encoders[0](s)

    # The child's start time as field 22 of /proc/CHILD/stat gives it (clock ticks since boot),
    # mostly without reading that file: the kernel takes the child's start_boottime while it
    # creates it, between t0 (CLOCK_BOOTTIME read before the spawn) and t1 (after it returned), and
    # field 22 is that time rounded down to whole ticks. When t0 and t1 (widened by a guard against
    # readings a hair apart on two CPUs) fall in the same tick, that tick is field 22, exactly; else
    # (a spawn that straddled a tick: ~1-2% of spawns of `true` here) the file is read. Reading it
    # while the child is still in execve was the largest part of a record (25-60 us,
    # bench/recorders.mjs); CLOCK_BOOTTIME is read through the vDSO, no system call.
    try:
        _boot = time.clock_gettime_ns
        _BOOTTIME = time.CLOCK_BOOTTIME
        hz = _os.sysconf('SC_CLK_TCK')
        tick = 1000000000 // hz if hz > 0 and 1000000000 % hz == 0 else 0
        _boot(_BOOTTIME)
    except Exception:
        # Python < 3.7, or no CLOCK_BOOTTIME: every record reads the file
        tick = 0
        _BOOTTIME = None

        def _boot(clock):
            return -1
    guard = 20000  # ns

    def start_of(pid, t0, t1):
        if tick and t0 >= guard and t1 >= t0 and (t0 - guard) // tick == (t1 + guard) // tick:
            return t0 // tick
        # Field 22 of /proc/PID/stat; comm (field 2) may hold ')' and spaces: split at the last ')'.
        try:
            fd = _open('/proc/%d/stat' % pid, rdflags)
            try:
                data = _read(fd, 4096)
            finally:
                _close(fd)
            return int(data[data.rindex(b')') + 2:].split()[19])
        except Exception:
            return None

    # Per frame position (code object and instruction offset), the frame's JSON: a program spawns
    # from few places. Keyed by id(code), not by the code object, whose hash hashes its bytecode
    # and constants each time; the entry holds the code object, so that id is not reused while
    # the entry lives. f_lineno, which decodes the line table, is read once per position too
    # (together most of a record's cost for a few frames of subprocess.py, bench/recorders.mjs).
    # Bounded: a program that makes code objects without end (exec of generated source) empties
    # it now and then, never grows it.
    frames_at = {}

    def frame_json(f, code, key):
        file = code.co_filename
        name = getattr(code, 'co_qualname', None) or code.co_name
        lineno = f.f_lineno
        text = '{"file":' + quote(file) + ('' if lineno is None else ',"line":%d' % lineno) + \
            (',"function":' + quote(name) if name else '') + '}'
        entry = (code, text, bool(file) and file[0] != '/' and file[0] != '<')
        if len(frames_at) >= 4096:
            frames_at.clear()
        frames_at[key] = entry
        return entry

    def note(api, pid, t0, t1):
        # Called by a wrapper right after its spawn returned pid, with the clock read before and
        # after it (see start_of): frame 0 is this function, 1 the wrapper, 2 the caller of the
        # wrapped function.
        try:
            frames = []
            relative = False
            f = _getframe(2)
            get = frames_at.get
            while f is not None and len(frames) < _MAX_FRAMES:
                code = f.f_code
                key = (id(code), f.f_lasti)
                e = get(key)
                if e is None:
                    e = frame_json(f, code, key)
                frames.append(e[1])
                if e[2]:
                    relative = True
                f = f.f_back
            f = None
            start = start_of(pid, t0, t1)
            line = '{"v":1,"pid":%d,"ppid":%d%s,"start":%s,"time":%r,"api":"%s","lang":"python","stack":[%s]' % (
                pid, _getpid(), '' if _tid is None else ',"tid":%d' % _tid(),
                'null' if start is None else '%d' % start, _now() * 1000.0, api, ','.join(frames))
            if relative:
                try:
                    line += ',"cwd":' + quote(_os.getcwd())
                except Exception:
                    pass
            data = (line + '}\n').encode('ascii')
            fd = _open(record_path, flags, 384)  # 0o600
            try:
                _write(fd, data)
            finally:
                _close(fd)
        except Exception:
            pass

    def wraps(real, wrapper):
        for attr in ('__name__', '__qualname__', '__doc__', '__module__'):
            try:
                setattr(wrapper, attr, getattr(real, attr))
            except Exception:
                pass
        wrapper.__wrapped__ = real
        wrapper._process_inspector_recorder = True
        return wrapper

    def pid_wrapper(real, api):
        # fork_exec and posix_spawn(p) return the child's PID (they raise on failure)
        def wrapper(*args, **kwargs):
            t0 = _boot(_BOOTTIME)
            pid = real(*args, **kwargs)
            note(api, pid, t0, _boot(_BOOTTIME))
            return pid
        return wraps(real, wrapper)

    def fork_wrapper(real):
        def wrapper(*args, **kwargs):
            t0 = _boot(_BOOTTIME)
            pid = real(*args, **kwargs)
            if pid > 0:
                note('os.fork', pid, t0, _boot(_BOOTTIME))
            return pid
        return wraps(real, wrapper)

    def forkpty_wrapper(real):
        def wrapper(*args, **kwargs):
            t0 = _boot(_BOOTTIME)
            result = real(*args, **kwargs)
            if result[0] > 0:
                note('os.forkpty', result[0], t0, _boot(_BOOTTIME))
            return result
        return wraps(real, wrapper)

    if getattr(getattr(_os, 'fork', None), '_process_inspector_recorder', False):
        return  # a second copy of us further down PYTHONPATH (a nested run of another version)
    try:
        import _posixsubprocess
    except ImportError:
        _posixsubprocess = None
    if _posixsubprocess is not None and hasattr(_posixsubprocess, 'fork_exec'):
        real = _posixsubprocess.fork_exec
        wrapped = pid_wrapper(real, '_posixsubprocess.fork_exec')
        _posixsubprocess.fork_exec = wrapped
        # subprocess binds it at import (`from _posixsubprocess import fork_exec as _fork_exec`):
        # imported after us it gets the wrapper; imported before (a .pth file) it is patched here.
        subprocess = _sys.modules.get('subprocess')
        if subprocess is not None and getattr(subprocess, '_fork_exec', None) is real:
            subprocess._fork_exec = wrapped
    if hasattr(_os, 'fork'):
        _os.fork = fork_wrapper(_os.fork)
    if hasattr(_os, 'forkpty'):
        _os.forkpty = forkpty_wrapper(_os.forkpty)
    for name in ('posix_spawn', 'posix_spawnp'):
        if hasattr(_os, name):
            setattr(_os, name, pid_wrapper(getattr(_os, name), 'os.' + name))


def _quote_slow(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"' or ch == '\\':
            out.append('\\' + ch)
        elif 0x20 <= o < 0x7f:
            out.append(ch)
        elif o < 0x10000:
            out.append('\\u%04x' % o)
        else:
            o -= 0x10000
            out.append('\\u%04x\\u%04x' % (0xd800 | (o >> 10), 0xdc00 | (o & 0x3ff)))
    out.append('"')
    return ''.join(out)


def _setup():
    try:
        record_path = _os.environ.get(_ENV)
        if record_path and _sys.version_info >= (3, 3):
            _install(record_path)
    except Exception:
        pass


_setup()
del _setup
_chain_load()
