"""Run Python scripts as ``python SCRIPT ARGS`` would, without paying the stack's import each time.

Importing torch, MMEngine, MMPretrain and mmltr takes about 8 s of CPU per Python process. A
tool that starts many short runs (``tools/reproduce.py --smoke``: one process per suite row) or
a test suite that runs the tools end to end would spend most of its time there.
:func:`run_script` runs a script in a child process *forked* from a server process that has
imported the stack once (:mod:`multiprocessing`'s ``forkserver``, started on first use). The
child is a fresh single-threaded process, as a new interpreter would be: it gets its own working
directory, environment, ``sys.argv``, ``sys.path[0]`` (the script's folder) and standard streams
(written to a file), runs the script as ``__main__`` and exits with its status (1 and the
traceback on an uncaught exception, the status of ``SystemExit``).

What differs from a new interpreter: modules are imported once, by the server, from the
``sys.path`` and with the environment of the caller of the first :func:`run_script`. So the
preloaded packages (``mmltr`` included) are the caller's, whatever a script puts in front of
``sys.path``; environment variables read at import time are the caller's (``OMP_NUM_THREADS``
alone is applied per run, with ``torch.set_num_threads``); and warnings raised while importing
the stack are printed once by the server, not by each run. As in any ``forkserver`` child, the
caller's main module is imported again as ``__mp_main__``: it must keep its work under
``if __name__ == '__main__'`` (pytest's and the tools' entry points do). CPU only: the server
never initialises CUDA, but a GPU run should start its own interpreter so that no device state
can come from a fork.
"""
import multiprocessing
import os
import subprocess
import sys
import tempfile
from typing import Dict, Optional, Sequence, Tuple

__all__ = ['run_script']

PRELOAD = ('torch', 'mmengine.runner', 'mmpretrain.models', 'mmltr')
_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context('forkserver')
        ctx.set_forkserver_preload(list(PRELOAD))
        _CONTEXT = ctx
    return _CONTEXT


def _child(script: str, args: Sequence[str], cwd: str, env: Dict[str, str], log: str) -> None:
    """The forked child: become ``python script *args`` with stdout/stderr to ``log``."""
    import logging
    import runpy
    import traceback
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = open(1, 'w', buffering=1, closefd=False)
    sys.stderr = open(2, 'w', buffering=1, closefd=False)
    sys.stdin = open(0, closefd=False)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    extra = [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p]
    sys.path[:] = [os.path.dirname(os.path.abspath(script))] + extra + [
        p for p in sys.path[1:] if p not in extra]
    sys.argv = [script, *args]
    if env.get('OMP_NUM_THREADS', '').isdigit():
        import torch
        torch.set_num_threads(max(1, int(env['OMP_NUM_THREADS'])))
    status = 0
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as e:
        code = e.code
        if code is None:
            status = 0
        elif isinstance(code, int):
            status = code
        else:
            print(code, file=sys.stderr)
            status = 1
    except BaseException:  # noqa: B036 (as the interpreter: print the traceback, status 1)
        traceback.print_exc()
        status = 1
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


def run_script(script: str,
               args: Sequence[str] = (),
               cwd: Optional[str] = None,
               env: Optional[Dict[str, str]] = None,
               log: Optional[str] = None,
               timeout: Optional[float] = None) -> Tuple[int, str]:
    """Run ``python script *args`` in a process forked from the preloaded server.

    Args:
        script: path of the Python script.
        args: its command-line arguments.
        cwd: working directory (default: the caller's).
        env: the whole environment (default: the caller's ``os.environ``).
        log: file that receives stdout and stderr (appended to); default a temporary file.
        timeout: seconds; a run that takes longer is killed and raises
            ``subprocess.TimeoutExpired``.

    Returns:
        ``(returncode, output)``: the exit status (negative: killed by that signal) and what the
        script wrote to stdout and stderr (the whole ``log`` file).
    """
    env = dict(os.environ if env is None else env)
    cwd = os.path.abspath(cwd or os.getcwd())
    tmp = None
    if log is None:
        fd, tmp = tempfile.mkstemp(prefix='run_script_', suffix='.log')
        os.close(fd)
        log = tmp
    try:
        proc = _context().Process(target=_child, args=(os.path.abspath(script), list(args), cwd,
                                                       env, os.path.abspath(log)))
        proc.start()
        proc.join(timeout)
        if proc.exitcode is None:
            proc.kill()
            proc.join()
            raise subprocess.TimeoutExpired([script, *args], timeout)
        with open(log, errors='replace') as f:
            return proc.exitcode, f.read()
    finally:
        if tmp is not None:
            os.remove(tmp)
