"""tools/reproduce.py: the shipped suites are valid, schedules scale, results aggregate and merge,
failures are reported, and every row of every suite runs (``--smoke``, CPU, tiny data)."""
import json
import os
import os.path as osp
import sys

import pytest
import yaml

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools'))

import reproduce  # noqa: E402


def _write_suite(folder, name, suite):
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, f'{name}.yml'), 'w') as f:
        yaml.safe_dump(suite, f)


CE = 'configs/benchmark/ce_resnet32_1xb64_cifar10-jpeg-lt-if100.py'


def test_shipped_suites():
    suites = reproduce.load_suites()
    assert {'dbm-cifar10-jpeg-if100', 'ghm-cwap-cifar10-jpeg-if100',
            'difficulty-net-cifar10-jpeg-if100', 'speed'} <= set(suites)
    dbm = {r['name']: r for r in suites['dbm-cifar10-jpeg-if100']['rows']}
    assert [dbm[n]['paper']['top1'] for n in ('ce', 'bs', 'ldam-drw', 'dbm-ce', 'dbm-drw',
                                                'dbm-bs')] == [78.48, 83.57, 82.60, 80.84,
                                                               82.82, 84.60]
    assert {r['name'] for r in suites['ghm-cwap-cifar10-jpeg-if100']['rows']} == {
        'ce', 'seesaw', 'ghm-cwap', 'r', 'a-ura', 'r-a-ura'}
    listing = reproduce.list_suites(suites)
    assert 'dbm-bs' in listing and 'paper 84.6' in listing


@pytest.mark.parametrize('row, message', [
    (dict(name='a', config='configs/nope.py'), 'does not exist'),
    (dict(name='a', config=CE, colour='red'), 'unknown keys'),
    (dict(name='a'), 'exactly one of'),
    (dict(name='a', config=CE, epoch_options={'model.head.loss.drw_epoch': 160}),
     'must also be set'),
    (dict(name='a', config=CE, modes=['slow']), 'modes'),
    (dict(name='a', config=CE, paper={'top1': 1.0}), 'source'),
    (dict(name='a', config=CE, after='a'), 'earlier config row'),
    (dict(name='a', config=CE, data_from='configs/nope.py'), 'data_from'),
])
def test_bad_suites_are_refused(tmp_path, row, message):
    _write_suite(str(tmp_path), 'bad', dict(config_epochs=200, rows=[row]))
    with pytest.raises(ValueError, match=message) as err:
        reproduce.load_suites(str(tmp_path))
    assert 'bad.yml' in str(err.value)


def test_duplicate_rows_and_missing_epochs_are_refused(tmp_path):
    rows = [dict(name='a', config=CE)] * 2
    _write_suite(str(tmp_path), 'dup', dict(config_epochs=200, rows=rows))
    with pytest.raises(ValueError, match='twice'):
        reproduce.load_suites(str(tmp_path))
    _write_suite(str(tmp_path / 'b'), 'noep', dict(rows=[dict(name='a', config=CE)]))
    with pytest.raises(ValueError, match='config_epochs'):
        reproduce.load_suites(str(tmp_path / 'b'))


def test_unknown_suite_and_rows():
    suites = reproduce.load_suites()
    with pytest.raises(SystemExit, match='unknown suites'):
        reproduce.select(suites, ['nope'])
    with pytest.raises(SystemExit, match='no row selected'):
        reproduce.select(suites, ['speed'], ['nope'])
    chosen = reproduce.select(suites, ['all'], ['dbm-bs'])
    assert [s['suite'] for s in chosen] == ['dbm-cifar10-jpeg-if100', 'speed']


def test_epochs_scale_the_schedule_and_epoch_options():
    suite = reproduce.load_suites()['dbm-cifar10-jpeg-if100']
    row = next(r for r in suite['rows'] if r['name'] == 'dbm-drw')
    args = reproduce.parse_args(['dbm-cifar10-jpeg-if100', '--epochs', '50'])
    cmd, epochs = reproduce.row_command(row, suite, args, 3, '/tmp/x')
    assert epochs == 50
    assert cmd[cmd.index('--epochs') + 1] == '50' and '--scale-schedule' in cmd
    assert cmd[cmd.index('--seed') + 1] == '3'
    opts = cmd[cmd.index('--cfg-options') + 1:]
    assert 'model.head.loss.drw_epoch=40' in opts and 'model.head.loss.drw_epoch=160' not in opts
    # the configs' own length: no scaling, the DRW switch as written
    args = reproduce.parse_args(['dbm-cifar10-jpeg-if100'])
    cmd, epochs = reproduce.row_command(row, suite, args, 0, '/tmp/x')
    assert epochs == 200 and '--scale-schedule' not in cmd
    assert 'model.head.loss.drw_epoch=160' in cmd
    assert reproduce.scaled_epoch(160, 200, 1) == 1


CRT = 'configs/decoupling/ce-crt_resnet32_1xb128_cifar10-lt-if100.py'


def test_stage2_rows_follow_their_stage1_row(tmp_path):
    rows = [dict(name='s1', config=CE), dict(name='s2', config=CRT, after='s1'),
            dict(name='s3', config=CRT, after='s2')]
    _write_suite(str(tmp_path), 'chain', dict(config_epochs=200, rows=rows))
    with pytest.raises(ValueError, match='not a stage-2 row itself'):
        reproduce.load_suites(str(tmp_path))  # no chains of stage-2 rows
    suites = reproduce.load_suites()
    # selecting a stage-2 row brings its stage-1 row along
    chosen = reproduce.select(suites, ['dbm-cifar10-jpeg-if100'], ['ce-lws'])
    assert [r['name'] for r in chosen[0]['rows']] == ['ce', 'ce-lws']
    assert '(after ce)' in reproduce.list_suites(suites)


def test_stage2_row_command_data_and_schedule(tmp_path):
    suite = reproduce.load_suites()['dbm-cifar10-jpeg-if100']
    row = next(r for r in suite['rows'] if r['name'] == 'ce-crt')
    config, schedule = reproduce.row_config(row, str(tmp_path))
    assert schedule == 10 and config == str(tmp_path / 'config.py')
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    # the stage-2 recipe (class-balanced batches of 128, frozen backbone) on the suite's data
    assert cfg.train_dataloader.batch_size == 128
    assert cfg.train_dataloader.sampler.type == 'ClassAwareSampler'
    assert cfg.train_dataloader.dataset.dataset.data_root == 'data/cifar10-jpeg'
    assert cfg.test_dataloader.dataset.dataset.data_root == 'data/cifar10-jpeg'
    assert cfg.data_preprocessor.to_rgb is True
    assert any(h.type == 'FreezeHook' for h in cfg.custom_hooks)
    # --epochs 80 of the suite's 200: the 10-epoch stage 2 trains 4 (10 x 80 / 200), scaled
    args = reproduce.parse_args(['dbm-cifar10-jpeg-if100', '--epochs', '80'])
    cmd, epochs = reproduce.row_command(row, suite, args, 0, '/tmp/x', config, schedule,
                                        '/ckpt/epoch_80.pth')
    assert epochs == 4 and cmd[cmd.index('--epochs') + 1] == '4' and '--scale-schedule' in cmd
    assert 'load_from=/ckpt/epoch_80.pth' in cmd and cmd[2] == config
    cmd, epochs = reproduce.row_command(row, suite, reproduce.parse_args(['x']), 0, '/tmp/x',
                                        config, schedule, '/c.pth')
    assert epochs == 10 and '--scale-schedule' not in cmd
    # a stage-1 run that failed or left no checkpoint: the stage-2 row is skipped
    args = reproduce.parse_args(['x', '--out', str(tmp_path / 'out')])
    rec = reproduce.run_one(row, suite, args, 0, stage1=dict(status='crashed'))
    assert rec['status'] == 'skipped' and 'stage 1 (ce)' in rec['error']
    work = tmp_path / 'out' / suite['suite'] / 'ce' / 'seed0' / 'fast'
    os.makedirs(work)
    (work / 'epoch_3.pth').write_bytes(b'x')
    (work / 'last_checkpoint').write_text(str(work / 'epoch_3.pth'))
    assert reproduce.final_checkpoint(str(work.parent)) == str(work / 'epoch_3.pth')


def test_dry_run_prints_every_command_and_runs_nothing(tmp_path, capsys):
    out = tmp_path / 'out'
    runs = reproduce.main(['dbm-cifar10-jpeg-if100', '--epochs', '20', '--seeds', '0,1',
                           '--dry-run', '--out', str(out)])
    suite = reproduce.load_suites()['dbm-cifar10-jpeg-if100']
    assert [(r[1], r[2]) for r in runs] == [(row['name'], s) for row in suite['rows']
                                            for s in (0, 1)]
    printed = capsys.readouterr().out
    for _, name, seed, cmd, epochs in runs:
        assert f'dbm-cifar10-jpeg-if100/{name} seed {seed} ({epochs} epochs): ' in printed
        assert cmd[cmd.index('--epochs') + 1] == str(epochs)
        row = next(r for r in suite['rows'] if r['name'] == name)
        if row.get('after'):  # the stage-1 row's checkpoint, not there yet
            load = next(o for o in cmd if o.startswith('load_from='))
            assert f'{row["after"]}/seed{seed}' in load and '<final checkpoint>' in load
        else:
            assert epochs == 20
    # nothing trained: only the stage-2 rows' config files were written
    assert not list(out.rglob('*.log')) and not list(out.rglob('results.json'))


def test_aggregate_seeds_failures_and_nan(tmp_path):
    row = dict(name='a', title='A', config=CE, paper=dict(top1=80.0, source='x'))
    ok = [dict(seed=s, status='ok', top1=t, many=90.0, medium=70.0, few=None,
               sec_per_epoch_train=1.0, sec_per_epoch_with_eval=1.5, peak_gpu_mem_mib=100.0,
               first_epoch_s=3.0, device='cpu', epochs=10) for s, t in ((0, 70.0), (1, 74.0))]
    res = reproduce.aggregate(row, ok)
    assert res['status'] == 'ok' and res['top1'] == 72.0
    assert res['top1_std'] == pytest.approx(2 ** 0.5 * 2) and res['few'] is None
    assert res['seeds'] == [0, 1] and res['paper']['top1'] == 80.0
    bad = reproduce.aggregate(row, ok[:1] + [dict(seed=1, status='crashed', error='boom',
                                                  epochs=10)])
    assert bad['status'] == 'crashed' and bad['error'] == 'boom' and bad['top1'] is None
    # a non-finite logged loss marks a run
    vis = tmp_path / 'w' / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'scalars.json').write_text('{"loss": 0.5, "step": 1}\n{"loss": NaN, "step": 2}\n')
    assert reproduce.nonfinite_losses(str(tmp_path)) == [(2, 'loss')]


def _run_entry(suite, names, commit, epochs=200, status='ok', measured=True):
    """A suite's results entry as reproduce.py writes it, with rows ``names`` run."""
    return dict(suite=suite, measured=measured, smoke=False, commit=commit, date=f'd-{commit}',
                epochs=epochs, config_epochs=200, seeds=[0],
                rows=[dict(name=n, title=n.upper(), status=status, top1=50.0) for n in names])


def test_update_results_merges(tmp_path):
    path = str(tmp_path / 'docs' / 'results.json')
    suites = {}  # no definitions: each entry's rows are the suite's
    reproduce.update_results(path, [_run_entry('a', ['x'], 'c1')], suites=suites)
    reproduce.update_results(path, [_run_entry('b', ['y'], 'c1')], suites=suites)
    reproduce.update_results(path, [_run_entry('a', ['x'], 'c2')], suites=suites)
    with open(path) as f:
        data = json.load(f)['suites']
    assert sorted(data) == ['a', 'b']
    assert data['a']['commit'] == 'c2' and data['b']['commit'] == 'c1'
    # each row records the run it comes from
    assert [(r['name'], r['commit'], r['date']) for r in data['a']['rows']] == [('x', 'c2',
                                                                                  'd-c2')]


def test_a_rerun_of_some_rows_keeps_the_others(tmp_path):
    """gpu_suite.sh with ROWS=... after a full run: the rows not rerun keep their results when
    the settings match; otherwise (or before any measured run) they are listed as not run."""
    rows = [dict(name=n, config=f'{n}.py') for n in ('x', 'y', 'z')]
    suites = {'s': dict(rows=rows)}
    path = str(tmp_path / 'results.json')

    def merged(*entries):
        for entry in entries:
            reproduce.update_results(path, [entry], suites=suites)
        with open(path) as f:
            return {r['name']: r for r in json.load(f)['suites']['s']['rows']}

    first = _run_entry('s', ['x', 'y', 'z'], 'c1')
    first['rows'][2]['status'] = 'crashed'
    out = merged(first, _run_entry('s', ['z'], 'c2'))
    assert list(out) == ['x', 'y', 'z']  # the suite's order
    assert [(r['status'], r['commit']) for r in out.values()] == [('ok', 'c1'), ('ok', 'c1'),
                                                                   ('ok', 'c2')]
    assert out['x']['top1'] == 50.0 and out['x']['date'] == 'd-c1'
    # other settings (a shorter schedule): the other rows are not run at these settings
    out = merged(_run_entry('s', ['y'], 'c3', epochs=20))
    assert [r['status'] for r in out.values()] == ['not run', 'ok', 'not run']
    assert out['x']['top1'] is None and out['y']['commit'] == 'c3'
    # a first measured run of some rows, after a planned ("not run") entry
    planned = dict(_run_entry('s', ['x', 'y', 'z'], None, epochs=None, status='not run',
                              measured=False))
    (tmp_path / 'results.json').unlink()
    out = merged(planned, _run_entry('s', ['z'], 'c4'))
    assert [r['status'] for r in out.values()] == ['not run', 'not run', 'ok']


def test_suite_epochs_in_the_header():
    suites = reproduce.load_suites()
    args = reproduce.parse_args(['all'])
    # the speed suite's training rows run their own 3 epochs; the method suites the schedule
    assert reproduce.suite_epochs(suites['speed'], args) == 3
    assert reproduce.suite_epochs(suites['dbm-cifar10-jpeg-if100'], args) == 200
    assert reproduce.suite_epochs(suites['dbm-cifar10-jpeg-if100'],
                                  reproduce.parse_args(['all', '--epochs', '20'])) == 20
    assert reproduce.suite_epochs(suites['speed'], reproduce.parse_args(['all', '--smoke'])) == 1


def test_update_refuses_smoke(capsys):
    with pytest.raises(SystemExit):
        reproduce.parse_args(['all', '--smoke', '--update', 'docs/results/results.json'])
    assert 'smoke' in capsys.readouterr().err


def test_crashing_row_is_reported_and_others_finish(tmp_path, monkeypatch):
    folder = tmp_path / 'suites'
    _write_suite(str(folder), 's', dict(config_epochs=200, rows=[
        dict(name='good', script='tools/benchmark/step_overhead.py',
             smoke_args=['--quick', '--devices', 'cpu', '--methods', 'CE'],
             output='step_overhead.json'),
        dict(name='bad', script='tools/benchmark/step_overhead.py',
             smoke_args=['--no-such-flag'])]))
    monkeypatch.setattr(reproduce, 'SUITE_DIR', str(folder))
    with pytest.raises(SystemExit):
        reproduce.main(['s', '--smoke', '--out', str(tmp_path / 'out')])
    with open(tmp_path / 'out' / 's' / 'results.json') as f:
        rows = {r['name']: r for r in json.load(f)['rows']}
    assert rows['good']['status'] == 'ok' and 'output' in rows['good']
    assert rows['good']['device'] == 'cpu'  # the benchmark's device_name
    assert rows['bad']['status'] == 'crashed' and 'no-such-flag' in rows['bad']['error']
    assert (tmp_path / 'out' / 's' / 'results.md').read_text().count('crashed') == 1


def test_plan_lists_unmeasured_suites_without_replacing_measured_ones(tmp_path):
    path = str(tmp_path / 'results.json')
    reproduce.update_results(path, [_run_entry('speed', ['ce'], 'c1')])
    with open(path) as f:
        speed = json.load(f)['suites']['speed']
    res = reproduce.main(['all', '--plan', '--update', path])
    with open(path) as f:
        data = json.load(f)['suites']
    assert data['speed'] == speed and speed['measured']
    # the row run, and the suite's other rows listed as not run
    assert [r['status'] for r in speed['rows']] == ['ok'] + ['not run'] * (len(
        reproduce.load_suites()['speed']['rows']) - 1)
    dbm = data['dbm-cifar10-jpeg-if100']
    assert not dbm['measured'] and len(res) == len(data)
    assert {r['status'] for r in dbm['rows']} == {'not run'}
    dbm_bs = next(r for r in dbm['rows'] if r['name'] == 'dbm-bs')
    assert dbm_bs['paper']['top1'] == 84.60 and dbm_bs['top1'] is None


def _check_smoke(res, suite, names, out):
    assert res['smoke'] and not res['measured']
    assert [r['name'] for r in res['rows']] == names
    for r in res['rows']:
        assert r['status'] == 'ok', (res['suite'], r['name'], r['error'])
        if 'config' in r:
            assert r['top1'] is not None and (r['sec_per_epoch_with_eval'] or r['first_epoch_s'])
            assert osp.isfile(out / res['suite'] / r['name'] / 'seed0' / 'train.log')


@pytest.mark.skipif(os.environ.get('MMLTR_SKIP_SMOKE') == '1', reason='MMLTR_SKIP_SMOKE=1')
def test_gpu_suite_script_dry_run_smokes_every_row(tmp_path):
    """tools/benchmark/gpu_suite.sh end to end on CPU (SMOKE=1): its probe runs every row of the
    method suites and its speed step every row of the speed suite (``reproduce.py --smoke``: one
    epoch on a tiny generated JPEG tree, so no suite breaks unnoticed), the schedule is sized from
    the probe, step 2 prints every row's command at that schedule (``--dry-run``), the tables
    are checked, and the results and logs land under OUT."""
    import re
    import subprocess
    out = tmp_path / 'gpu'
    env = dict(os.environ, SMOKE='1', OUT=str(out), OMP_NUM_THREADS='1')
    proc = subprocess.run(['bash', osp.join(ROOT, 'tools', 'benchmark', 'gpu_suite.sh')],
                          env=env, capture_output=True, text=True, timeout=2400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    epochs = re.search(r'done \(EPOCHS=(\d+)', proc.stdout)
    assert epochs and 'failed' not in proc.stdout, proc.stdout
    suites = reproduce.load_suites()
    methods = (out / 'methods.log').read_text()
    for name, suite in suites.items():
        folder = out / ('repro' if name == 'speed' else 'probe')
        with open(folder / name / 'results.json') as f:
            _check_smoke(json.load(f), suite, [r['name'] for r in suite['rows']], folder)
        if name != 'speed':  # step 2: every row's command at the sized schedule
            for row in suite['rows']:
                line = re.search(rf'^{name}/{row["name"]} seed 0 \((\d+) epochs\): (.*)$',
                                 methods, re.M)
                assert line, (name, row['name'], methods[-2000:])
                if not row.get('after'):
                    assert int(line[1]) == int(epochs[1]), line[0]
                    assert f'--epochs {epochs[1]} ' in line[2], line[0]
    assert (out / 'docs' / 'results' / 'results.json').is_file()
    assert not list(out.rglob('*.pth'))
