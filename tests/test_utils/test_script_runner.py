"""run_script: a script runs as ``python SCRIPT ARGS`` would, in a process forked from a server
that has imported the stack."""
import os
import subprocess
import sys
import textwrap

import pytest

from mmltr.utils.script_runner import run_script

SCRIPT = textwrap.dedent('''
    import json, os, sys
    import torch
    import helper  # a module beside the script: sys.path[0] is the script's folder
    print(json.dumps(dict(argv=sys.argv[1:], cwd=os.getcwd(), name=__name__,
                          var=os.environ.get('MMLTR_TEST_VAR'), helper=helper.VALUE,
                          threads=torch.get_num_threads(), pid=os.getpid())))
    print('to stderr', file=sys.stderr)
    if sys.argv[1:] == ['fail']:
        raise RuntimeError('boom')
    if sys.argv[1:] == ['exit']:
        sys.exit(3)
    if sys.argv[1:] == ['message']:
        sys.exit('a message')
    if sys.argv[1:] == ['sleep']:
        import time
        time.sleep(60)
''')


@pytest.fixture
def script(tmp_path):
    folder = tmp_path / 'scripts'
    folder.mkdir()
    (folder / 'helper.py').write_text('VALUE = 42\n')
    path = folder / 'tool.py'
    path.write_text(SCRIPT)
    return str(path)


def test_runs_like_a_new_interpreter(script, tmp_path):
    import json
    env = dict(os.environ, MMLTR_TEST_VAR='x', OMP_NUM_THREADS='1')
    rc, out = run_script(script, ['a', 'b c'], cwd=str(tmp_path), env=env)
    assert rc == 0, out
    fork = json.loads(next(line for line in out.splitlines() if line.startswith('{')))
    assert 'to stderr' in out  # stdout and stderr both captured
    proc = subprocess.run([sys.executable, script, 'a', 'b c'], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True)
    fresh = json.loads(proc.stdout.splitlines()[-1])
    assert fork.pop('pid') != os.getpid()
    fresh.pop('pid')
    assert fork == fresh == dict(argv=['a', 'b c'], cwd=str(tmp_path), name='__main__', var='x',
                                 helper=42, threads=1)


def test_exit_status_and_traceback(script, tmp_path):
    rc, out = run_script(script, ['fail'])
    assert rc == 1 and 'RuntimeError: boom' in out and 'Traceback' in out
    assert run_script(script, ['exit'])[0] == 3
    rc, out = run_script(script, ['message'])
    assert rc == 1 and 'a message' in out
    # the log file is appended to, and is what is returned
    log = tmp_path / 'run.log'
    log.write_text('command line\n')
    rc, out = run_script(script, [], log=str(log))
    assert rc == 0 and out.startswith('command line\n') and out == log.read_text()


def test_timeout_kills_the_run(script):
    with pytest.raises(subprocess.TimeoutExpired):
        run_script(script, ['sleep'], timeout=2)
