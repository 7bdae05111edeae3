"""tools/misc/update_results_docs.py: the model-zoo pages, metafiles and README suite tables are
generated from a results file and the configs, and ``--check`` catches a page that is out of date.

A small repository is written for each test (a few configs in two method folders, a README with
markers, a results file with one measured and one unmeasured suite); the last tests check the
real repository's generated files and read its model index with MMPretrain's ``ModelHub``.
"""
import copy
import json
import os.path as osp
import sys

import pytest
import yaml

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'misc'))
import update_results_docs as gen  # noqa: E402

CIFAR10_IF100 = """\
model = dict(type='ImageClassifier', backbone=dict(type='ResNet32_CIFAR', depth=32),
             head=dict(type='CosineClsHead', num_classes=10, in_channels=64,
                       loss=dict(type='DBMLoss', base='bs')))
train_dataloader = dict(batch_size=64, dataset=dict(type='CIFAR10LT', imbalance_factor=100))
train_cfg = dict(by_epoch=True, max_epochs=200)
param_scheduler = [dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5),
                   dict(type='CosineAnnealingLR', by_epoch=True, begin=5, end=200)]
"""
CONFIGS = {
    # the paper statement per imbalance factor, read for the -if50 sibling too
    'configs/dbm/dbm-bs_resnet32_1xb64_cifar10-lt-if100.py':
        '# DBM-BS, ResNet-32, CIFAR-10-LT IF100.\n'
        '# DBM paper Table 2 (best-epoch test top-1): IF100 84.60, IF50 87.06 (IF200 not\n'
        '# reported).\n' + CIFAR10_IF100,
    'configs/dbm/dbm-bs_resnet32_1xb64_cifar10-lt-if50.py':
        '# DBM-BS, ResNet-32, CIFAR-10-LT IF50: the IF100 config with another imbalance factor.\n'
        "_base_ = './dbm-bs_resnet32_1xb64_cifar10-lt-if100.py'\n"
        'train_dataloader = dict(dataset=dict(imbalance_factor=50))\n',
    # inherits DBM-BS but is another method: DBM-BS's paper numbers are not its own
    'configs/dbm/ce_resnet32_1xb64_cifar10-lt-if100.py':
        '# CE, ResNet-32, CIFAR-10-LT IF100.\n'
        "_base_ = './dbm-bs_resnet32_1xb64_cifar10-lt-if100.py'\n"
        "model = dict(head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss')))\n",
    'configs/dbm/jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py':
        '# CE on the JPEG copy of CIFAR-10, 100 epochs.\n'
        "_base_ = '../ce_resnet32_1xb64_cifar10-lt-if100.py'\n"
        "train_dataloader = dict(dataset=dict(_delete_=True, type='LongTailedDataset',\n"
        "    imbalance_factor=100, dataset=dict(type='CustomDataset',\n"
        "    data_root='data/cifar10-jpeg')))\n"
        'train_cfg = dict(max_epochs=100)\n',
    # a file name users type: the method is the header's first word; batch from auto_scale_lr
    'configs/dbm/resnet50_imagenet-lt.py':
        '# DBM-BCL, ResNet-50 from scratch, ImageNet-LT.\n'
        "model = dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=50))\n"
        "train_dataloader = dict(batch_size=64, dataset=dict(type='ImageNetLT'))\n"
        'train_cfg = dict(max_epochs=90)\nauto_scale_lr = dict(base_batch_size=256)\n'
        "param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, begin=4, end=90)\n",
    # the same file name in another folder (the model names must stay unique); a statement of
    # one number, for this config only
    'configs/baselines/ce_resnet32_1xb64_cifar10-lt-if100.py':
        '# CE, ResNet-32, CIFAR-10-LT IF100, crop + flip.\n'
        '# GHM-CWAP paper Table 1 (top-1, Softmax): 71.74.\n' + CIFAR10_IF100.replace(
            "loss=dict(type='DBMLoss', base='bs')", "loss=dict(type='CrossEntropyLoss')"),
}
K0 = 'model.head.loss.K=0.0'
RESULTS = {'suites': {
    'dbm-jpeg': {
        'suite': 'dbm-jpeg', 'title': 'DBM on JPEG CIFAR-10-LT IF100',
        'description': 'CE and DBM-BS, shortened.', 'measured': True, 'date': '2026-11-27',
        'commit': 'abc1234', 'device': 'NVIDIA H100 80GB HBM3', 'epochs': 100,
        'config_epochs': 100, 'seeds': [0, 1], 'smoke': False,
        'rows': [
            {'name': 'ce', 'title': 'CE',
             'config': 'configs/dbm/jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py',
             'cfg_options': [], 'status': 'ok',
             'paper': {'top1': 78.48, 'source': 'DBM, Table 2, CIFAR-10-LT IF100 (200 epochs)'},
             'top1': 80.123, 'many': 90.2, 'medium': 78.0, 'few': None, 'top1_std': 0.31,
             'sec_per_epoch_train': 1.234, 'sec_per_epoch_with_eval': 1.456,
             'peak_gpu_mem_mib': 812.4},
            {'name': 'dbm-bs-k0', 'title': 'DBM-BS, K = 0',
             'config': 'configs/dbm/dbm-bs_resnet32_1xb64_cifar10-lt-if100.py',
             'cfg_options': [K0], 'paper': None, 'status': 'ok', 'top1': 81.55, 'many': 91.0,
             'medium': 79.5, 'few': None, 'top1_std': None, 'sec_per_epoch_train': 2.0,
             'sec_per_epoch_with_eval': 2.5, 'peak_gpu_mem_mib': 900.0},
            {'name': 'ce-crash', 'title': 'CE (crashed)',
             'config': 'configs/baselines/ce_resnet32_1xb64_cifar10-lt-if100.py',
             'cfg_options': [], 'paper': None, 'status': 'crashed', 'top1': None, 'many': None,
             'medium': None, 'few': None, 'top1_std': None, 'sec_per_epoch_train': None,
             'sec_per_epoch_with_eval': None, 'peak_gpu_mem_mib': None}]},
    'dbm-planned': {
        'suite': 'dbm-planned', 'title': 'DBM-BS on CIFAR-10-LT IF50', 'description': '',
        'measured': False, 'epochs': 200, 'config_epochs': 200, 'seeds': [0], 'smoke': False,
        'rows': [
            {'name': 'dbm-bs', 'title': 'DBM-BS',
             'config': 'configs/dbm/dbm-bs_resnet32_1xb64_cifar10-lt-if50.py',
             'paper': {'top1': 87.06, 'source': 'DBM, Table 2'}, 'status': 'not run'}]},
}}
README = """\
# demo

Prose before, kept. An inline `<!-- results:nothing -->` is not a marker.

<!-- results:dbm-jpeg -->
an old table
<!-- /results:dbm-jpeg -->

Prose after, kept.
"""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def repo(tmp_path):
    """A repository with the configs, README.md and docs/results/results.json above."""
    for rel, text in CONFIGS.items():
        write(tmp_path / rel, text)
    write(tmp_path / 'README.md', README)
    write(tmp_path / 'docs' / 'results' / 'results.json', json.dumps(RESULTS))
    return tmp_path


def run(repo, *args):
    return gen.main(['--root', str(repo), *args])


def md_rows(text):
    """``{first cell: other cells}`` of the body rows of the Markdown tables in ``text``."""
    rows = [[c.strip() for c in line.strip().strip('|').split('|')]
            for line in text.splitlines() if line.startswith('| ')]
    return {r[0]: r[1:] for r in rows if r[0] not in ('config', 'method')}  # not the heads


def section(text, heading):
    """The text under ``## heading``, up to the next heading."""
    return text.split(f'## {heading}\n', 1)[1].split('\n## ', 1)[0]


def table_rows(text, heading):
    return md_rows(section(text, heading))


def notes(text):
    """``{number: source}`` of the ``[n] source`` lines under the tables."""
    return {int(line[1:line.index(']')]): line[line.index(']') + 2:].strip()
            for line in text.splitlines() if line[:1] == '[' and line[1:2].isdigit()}


def test_folder_readme_configs_table_measured_numbers_and_paper_column(repo):
    assert run(repo) == 0
    text = (repo / 'configs' / 'dbm' / 'README.md').read_text()
    assert 'arxiv.org/abs/2412.15477' in text and 'Difficulty-aware Balancing Margin Loss' in text
    sources = notes(section(text, 'Configs'))
    configs = table_rows(text, 'Configs')
    link = '[{0}]({0}.py)'.format
    # header columns: method, backbone, dataset, IF, schedule, batch, paper, measured
    if100 = configs[link('dbm-bs_resnet32_1xb64_cifar10-lt-if100')]
    assert if100[:6] == ['DBM-BS', 'ResNet-32 (CIFAR)', 'CIFAR-10-LT', '100',
                         '200 ep, 5-ep warm-up + cosine', '1 x 64']
    number, note = if100[6].split()
    assert number == '84.60' and sources[int(note.strip('[]'))] == (
        'DBM paper Table 2 (best-epoch test top-1)')
    assert if100[7] == 'see [Results](#results)'  # measured only with K = 0, not as it is
    if50 = configs[link('dbm-bs_resnet32_1xb64_cifar10-lt-if50')]
    assert if50[3] == '50' and if50[6].startswith('87.06 ') and if50[7] == 'not measured yet'
    ce = configs[link('ce_resnet32_1xb64_cifar10-lt-if100')]
    assert ce[0] == 'CE' and ce[6] == '—' and ce[7] == 'not measured yet'
    jpeg = configs['[ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e]'
                   '(jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py)']
    assert jpeg[:6] == ['CE (100e)', 'ResNet-32 (CIFAR)', 'CIFAR-10 (JPEG copy), long-tailed',
                        '100', '100 ep, 5-ep warm-up + cosine', '1 x 64']
    assert jpeg[6].startswith('78.48 ') and jpeg[7] == '80.12 (`dbm-jpeg`)'
    r50 = configs[link('resnet50_imagenet-lt')]
    assert r50[:6] == ['DBM-BCL', 'ResNet-50', 'ImageNet-LT', '—', '90 ep, cosine',
                       '256 (64 per GPU)']
    assert list(configs)[-1].startswith('[ce_resnet32_1xb64_cifar10-jpeg')  # subfolders last

    results = table_rows(text, 'Results')
    # config, suite | top-1, many, medium, few, paper, s/epoch x2, MiB, device, epochs, date, commit
    row = results['[ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e]'
                  '(jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py)']
    assert row[0] == '`dbm-jpeg`'
    assert row[1:5] == ['80.12 ± 0.31', '90.20', '78.00', '—']
    assert row[5].startswith('78.48 [') and row[6:9] == ['1.23', '1.46', '812']
    assert row[9:] == ['NVIDIA H100 80GB HBM3', '100', '2026-11-27', '`abc1234`']
    k0 = results[f'{link("dbm-bs_resnet32_1xb64_cifar10-lt-if100")} with `{K0}`']
    assert k0[1] == '81.55' and k0[5] == '—'  # a variant: not the paper's config
    planned = results[link('dbm-bs_resnet32_1xb64_cifar10-lt-if50')]
    assert planned[0] == '`dbm-planned`' and planned[1] == 'not measured yet'
    assert planned[5].startswith('87.06 [') and planned[9:] == ['', '', '', '']
    assert 'python tools/reproduce.py dbm-jpeg' in text
    assert 'python tools/train.py configs/dbm/' in text and 'tools/dist_train.sh' in text

    baselines = (repo / 'configs' / 'baselines' / 'README.md').read_text()
    ce = table_rows(baselines, 'Configs')[link('ce_resnet32_1xb64_cifar10-lt-if100')]
    assert ce[6].startswith('71.74 [') and ce[7] == 'see [Results](#results)'
    crashed, = table_rows(baselines, 'Results').values()
    assert crashed[1:5] == ['crashed', '', '', '']


def test_without_results_every_config_is_not_measured_yet_and_paper_numbers_stay(repo):
    write(repo / 'docs' / 'results' / 'results.json', '{"suites": {}}')
    (repo / 'README.md').write_text('# no markers\n')
    assert run(repo) == 0
    text = (repo / 'configs' / 'dbm' / 'README.md').read_text()
    configs = table_rows(text, 'Configs')
    assert {cells[7] for cells in configs.values()} == {'not measured yet'}
    assert sorted(c[6].split()[0] for c in configs.values()) == [
        '84.60', '87.06', '—', '—', '—']
    assert 'Not measured yet: no suite' in text.split('## Results', 1)[1]
    meta = yaml.safe_load((repo / 'configs' / 'dbm' / 'metafile.yml').read_text())
    assert all(m['Results'] is None for m in meta['Models'])


def test_metafiles_in_mmpretrain_format_with_results_only_for_measured_configs(repo):
    assert run(repo) == 0
    index = yaml.safe_load((repo / 'model-index.yml').read_text())
    assert index == {'Import': ['configs/dbm/metafile.yml', 'configs/baselines/metafile.yml']}
    meta = yaml.safe_load((repo / 'configs' / 'dbm' / 'metafile.yml').read_text())
    collection, = meta['Collections']
    assert collection['Name'] == 'DBM' and collection['README'] == 'configs/dbm/README.md'
    assert collection['Paper'] == {
        'Title': 'Difficulty-aware Balancing Margin Loss for Long-tailed Recognition',
        'URL': 'https://arxiv.org/abs/2412.15477'}
    models = {m['Name']: m for m in meta['Models']}
    assert set(models) == {
        'dbm-bs_resnet32_1xb64_cifar10-lt-if100', 'dbm-bs_resnet32_1xb64_cifar10-lt-if50',
        'dbm/ce_resnet32_1xb64_cifar10-lt-if100',  # its name is in baselines/ too
        'ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e', 'resnet50_imagenet-lt'}
    for m in models.values():
        assert m['In Collection'] == 'DBM' and 'Weights' not in m
        assert (repo / m['Config']).is_file()
    jpeg = models['ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e']
    assert jpeg['Metadata'] == {'Training Data': 'CIFAR-10 (JPEG copy), long-tailed',
                                'Imbalance Factor': 100, 'Epochs': 100, 'Batch Size': 64,
                                'Architecture': ['ResNet-32 (CIFAR)']}
    assert jpeg['Results'] == [{
        'Task': 'Image Classification', 'Dataset': 'CIFAR-10 (JPEG copy), long-tailed IF100',
        'Metrics': {'Top 1 Accuracy': 80.123, 'Many-shot Accuracy': 90.2,
                    'Medium-shot Accuracy': 78.0}}]
    # measured with a cfg option only / not run yet: no Results
    assert models['dbm-bs_resnet32_1xb64_cifar10-lt-if100']['Results'] is None
    assert models['dbm-bs_resnet32_1xb64_cifar10-lt-if50']['Results'] is None
    assert models['resnet50_imagenet-lt']['Metadata']['Batch Size'] == 256
    base = yaml.safe_load((repo / 'configs' / 'baselines' / 'metafile.yml').read_text())
    crashed, = base['Models']
    assert crashed['Name'] == 'baselines/ce_resnet32_1xb64_cifar10-lt-if100'
    assert crashed['Results'] is None and 'Paper' not in base['Collections'][0]


@pytest.mark.parametrize('change', ['smoke', 'shortened'])
def test_a_smoke_or_shortened_run_is_not_a_result_of_the_config(repo, change):
    results = copy.deepcopy(RESULTS)
    suite = results['suites']['dbm-jpeg']
    suite.update(smoke=True) if change == 'smoke' else suite.update(config_epochs=200)
    write(repo / 'docs' / 'results' / 'results.json', json.dumps(results))
    assert run(repo) == 0
    meta = yaml.safe_load((repo / 'configs' / 'dbm' / 'metafile.yml').read_text())
    assert all(m['Results'] is None for m in meta['Models'])
    text = (repo / 'configs' / 'dbm' / 'README.md').read_text()
    epochs = '100 (smoke)' if change == 'smoke' else '100 of 200'
    row = table_rows(text, 'Results')['[ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e]'
                                      '(jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py)']
    assert row[1] == '80.12 ± 0.31' and row[10] == epochs


def test_readme_markers_are_replaced_by_the_suite_table(repo):
    assert run(repo) == 0
    text = (repo / 'README.md').read_text()
    before, rest = text.split('<!-- results:dbm-jpeg -->\n', 1)
    table, after = rest.split('<!-- /results:dbm-jpeg -->\n', 1)
    assert before == README.split('<!-- results:dbm-jpeg -->')[0]
    assert after == README.split('<!-- /results:dbm-jpeg -->\n')[1]
    assert 'an old table' not in table
    assert 'Measured on NVIDIA H100 80GB HBM3, 2026-11-27, commit `abc1234`' in table
    assert 'seeds 0, 1' in table
    rows = md_rows(table)
    ce = rows['CE']
    assert ce[0] == ('[ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e]'
                     '(configs/dbm/jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py)')
    assert ce[1:5] == ['80.12 ± 0.31', '90.20', '78.00', '—']
    assert ce[5] == '78.48 [1]' and ce[6:] == ['1.23', '1.46', '812']
    crashed = rows['CE (crashed)']  # the paper number of its config's header
    assert crashed[1] == 'crashed' and crashed[5] == '71.74 [2]'
    assert notes(table) == {1: 'DBM, Table 2, CIFAR-10-LT IF100 (200 epochs)',
                            2: 'GHM-CWAP paper Table 1 (top-1, Softmax)'}
    assert run(repo, '--check') == 0  # replacing again gives the same text


def test_a_speed_suite_shows_both_pipelines_and_the_scripts_summaries(repo):
    """Rows run in several modes show the standard and fast seconds per epoch and the speed-up;
    benchmark-script rows the one-line summary of their output."""
    write(repo / 'configs/benchmark/ce_speed.py', CIFAR10_IF100)
    write(repo / 'tools/benchmark/loop_overhead.py', '# a benchmark\n')
    times = dict(sec_per_epoch_train=1.0, sec_per_epoch_with_eval=1.25, peak_gpu_mem_mib=300.0,
                 first_epoch_s=4.0)
    speed = {'suite': 'speed', 'title': 'Speed', 'description': 'Standard vs fast.',
             'measured': True, 'date': '2026-11-28', 'commit': 'def5678', 'device': 'H100',
             'epochs': 3, 'config_epochs': 200, 'seeds': [0], 'smoke': False, 'parallel': 2,
             'rows': [
                 {'name': 'ce', 'title': 'CE', 'config': 'configs/benchmark/ce_speed.py',
                  'status': 'ok', 'paper': None, **times, 'top1': 30.0, 'speedup': 10.0,
                  'modes': {'standard': dict(times, sec_per_epoch_with_eval=12.5),
                            'fast': times}},
                 {'name': 'loop', 'title': 'Loop overhead', 'paper': None, 'status': 'ok',
                  'script': 'tools/benchmark/loop_overhead.py',
                  'output': {'summary': 'fast 0.80 ms, standard 9.00 ms'}},
                 {'name': 'broken', 'title': 'Broken', 'paper': None, 'status': 'crashed',
                  'script': 'tools/benchmark/loop_overhead.py'}]}
    results = copy.deepcopy(RESULTS)
    results['suites']['speed'] = speed
    write(repo / 'docs' / 'results' / 'results.json', json.dumps(results))
    write(repo / 'README.md', README + '<!-- results:speed -->\n<!-- /results:speed -->\n')
    assert run(repo) == 0
    table = (repo / 'README.md').read_text().split('<!-- results:speed -->\n')[1]
    assert 'Up to 2 runs shared the device at a time: seconds per epoch are under that load.' \
        in table
    assert 'shared the device' not in (repo / 'README.md').read_text().split(
        '<!-- results:speed -->')[0]  # the DBM suite's rows ran one at a time
    assert '\n| row | config | standard s/epoch (with eval) | fast s/epoch (with eval) | ' \
        'speed-up |' in table
    rows = md_rows(table)
    assert rows['CE'][1:] == ['12.50', '1.25', '10.0x', '1.00', '300', '—']
    assert rows['Loop overhead'][0] == '[loop_overhead](tools/benchmark/loop_overhead.py)'
    assert rows['Loop overhead'][1:] == ['—', '—', '—', '—', '—',
                                         'fast 0.80 ms, standard 9.00 ms']
    assert rows['Broken'][1:] == ['crashed', '', '', '', '', '']
    assert run(repo, '--check') == 0


@pytest.mark.parametrize('readme, message', [
    ('<!-- results:nope -->\nx\n<!-- /results:nope -->\n',
     "names a suite that docs/results/results.json does not have (its suites: dbm-jpeg, "
     "dbm-planned)"),
    ('<!-- results:dbm-jpeg -->\n', 'is never closed'),
    ('<!-- /results:dbm-jpeg -->\n', 'without its opening marker'),
])
def test_a_marker_of_an_unknown_suite_or_an_unpaired_marker_is_an_error(repo, capsys, readme,
                                                                         message):
    (repo / 'README.md').write_text(readme)
    assert run(repo) == 2
    err = capsys.readouterr().err
    assert message in err and 'README.md:1' in err
    assert not (repo / 'configs' / 'dbm' / 'README.md').exists()  # nothing written


@pytest.mark.parametrize('mutate, message', [
    (lambda r: r['suites']['dbm-jpeg']['rows'][0].update(status='done'),
     "suite 'dbm-jpeg', row 'ce': status 'done' is none of ok, crashed, nan, not run"),
    (lambda r: r['suites']['dbm-jpeg']['rows'][0].update(config='configs/dbm/missing.py'),
     "row 'ce': config 'configs/dbm/missing.py' does not exist"),
    (lambda r: r['suites']['dbm-planned']['rows'][0].update(status='ok'),
     'in a suite with "measured": false'),
    (lambda r: r['suites']['dbm-jpeg'].update(suite='other'), 'says "suite": \'other\''),
    (lambda r: r['suites']['dbm-jpeg']['rows'][0].update(paper={'top1': '78.48'}),
     "row 'ce': \"paper\" must be null or"),
])
def test_bad_results_are_refused_naming_the_suite_and_row(repo, capsys, mutate, message):
    results = copy.deepcopy(RESULTS)
    mutate(results)
    write(repo / 'docs' / 'results' / 'results.json', json.dumps(results))
    assert run(repo) == 2
    assert message in capsys.readouterr().err


def test_missing_results_file_names_the_option(repo, capsys):
    assert run(repo, '--results', str(repo / 'nowhere.json')) == 2
    assert '--results: ' in capsys.readouterr().err


def test_check_fails_on_a_stale_file_and_passes_after_regeneration(repo, capsys):
    assert run(repo, '--check') == 1  # nothing generated yet
    assert run(repo) == 0
    assert run(repo, '--check') == 0
    page = repo / 'configs' / 'dbm' / 'README.md'
    page.write_text(page.read_text() + 'a hand edit\n')
    capsys.readouterr()
    assert run(repo, '--check') == 1
    assert 'out of date: configs/dbm/README.md' in capsys.readouterr().err
    assert page.read_text().endswith('a hand edit\n')  # --check writes nothing
    results = copy.deepcopy(RESULTS)  # a new number in the results: every page using it is stale
    results['suites']['dbm-jpeg']['rows'][0]['top1'] = 79.5
    write(repo / 'docs' / 'results' / 'results.json', json.dumps(results))
    assert run(repo) == 0
    assert run(repo, '--check') == 0
    assert '79.50 ± 0.31' in page.read_text() and 'a hand edit' not in page.read_text()


# ---------------------------------------------------------------------------------------------
# the repository's own files
# ---------------------------------------------------------------------------------------------
def test_committed_zoo_pages_are_up_to_date():
    assert gen.main(['--check']) == 0, 'run python tools/misc/update_results_docs.py'


def test_model_index_loads_with_mmpretrain_model_hub():
    """MMPretrain reads a model index with ``modelindex`` and ``ModelHub``: every model resolves
    to its config, which builds; no model has (or needs) Weights."""
    from mmpretrain.apis import ModelHub, get_model
    from modelindex.load_model_index import load

    import mmltr  # noqa: F401  (registers mmltr's modules)

    index = load(osp.join(ROOT, 'model-index.yml'))
    index.build_models_with_collections()
    names = [m.name for m in index.models]
    assert len(names) == len(set(names)) > 0
    for model in index.models:
        assert model.weights is None and osp.isfile(osp.join(ROOT, model.config))
        assert model.in_collection and (model.results is None or model.results.data)
    # README paths are from the repository root, as in MMPretrain's metafiles (modelindex's own
    # check() reads them from the metafile's folder; it reports nothing else)
    for collection in index.collections:
        assert osp.isfile(osp.join(ROOT, collection.readme))
    assert all('README' in e for e in index.check(silent=True))

    flag = '_ModelHub__mmpretrain_registered'  # MMPretrain's own index loaded (on first get)
    saved, registered = dict(ModelHub._models_dict), getattr(ModelHub, flag)
    try:
        ModelHub.register_model_index(osp.join(ROOT, 'model-index.yml'), config_prefix=ROOT)
        meta = ModelHub.get('dbm-bs_resnet32_1xb64_cifar10-lt-if100')
        assert meta.config.model.head.loss.type == 'DBMLoss'
        model = get_model('baselines/ce_resnet32_1xb64_cifar10-lt-if100')
        assert type(model.head.loss_module).__name__ == 'CrossEntropyLoss'
    finally:
        ModelHub._models_dict.clear()
        ModelHub._models_dict.update(saved)
        setattr(ModelHub, flag, registered)


def test_rows_from_an_earlier_run_and_an_unrecorded_device_are_said():
    suite = copy.deepcopy(RESULTS['suites']['dbm-jpeg'])
    for row in suite['rows']:
        row.update(commit='abc1234', date='2026-11-27')
    suite['rows'][1].update(commit='0ld0000', date='2026-11-20')  # kept from a first run
    suite['rows'][2].update(commit='0ld0000', date='2026-11-20')
    assert gen.earlier_runs_text(suite) == (
        ' DBM-BS, K = 0, CE (crashed): from the run of 2026-11-20, commit `0ld0000` (same '
        'settings).')
    text = '\n'.join(gen.suite_section('dbm-jpeg', suite, {}))
    assert 'commit `abc1234`' in text and 'from the run of 2026-11-20' in text
    suite['rows'][1].update(commit='abc1234', date='2026-11-27')
    suite['rows'][2].update(status='not run')  # not run: no run to name
    assert gen.earlier_runs_text(suite) == ''
    suite['device'] = None
    assert 'Measured on an unrecorded device, 2026-11-27' in '\n'.join(
        gen.suite_section('dbm-jpeg', suite, {}))
