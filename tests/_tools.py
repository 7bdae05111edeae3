"""Run the repo's tools end to end from tests, as a user's shell would."""
import os
import os.path as osp
import subprocess
import sys

from mmltr.utils.script_runner import run_script

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_tool(cmd, cwd=None, env=None, timeout=900):
    """``(returncode, stdout + stderr)`` of ``cmd``; a ``tools/...`` path is resolved against the
    repo and ``env`` is added to the environment.

    ``[sys.executable, SCRIPT, *args]`` runs through :func:`mmltr.utils.script_runner.run_script`
    (the script as ``__main__`` in a fresh process forked from one that has imported the stack:
    about 8 s less per call); anything else (``bash tools/dist_train.sh ...``) is a subprocess.
    """
    cmd = [osp.join(ROOT, c) if c.startswith('tools/') else c for c in cmd]
    full_env = dict(os.environ, **(env or {}))
    full_env['PYTHONPATH'] = os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p)
    if len(cmd) >= 2 and cmd[0] == sys.executable and cmd[1].endswith('.py'):
        return run_script(cmd[1], cmd[2:], cwd=cwd, env=full_env, timeout=timeout)
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=full_env)
    return proc.returncode, proc.stdout + proc.stderr


def run_ok(cmd, cwd=None, env=None, timeout=900, ok=True):
    """:func:`run_tool` with ``OMP_NUM_THREADS=1`` and ``PYTHONUNBUFFERED=1`` (``env`` on top);
    asserts that it exited with status 0 (``ok=False``: with a non-zero status) and returns its
    output."""
    rc, out = run_tool(cmd, cwd, dict(OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1', **(env or {})),
                       timeout)
    if ok:
        assert rc == 0, f'{" ".join(map(str, cmd))} failed:\n{out[-6000:]}'
    else:
        assert rc != 0, f'{" ".join(map(str, cmd))} should have failed:\n{out[-3000:]}'
    return out
