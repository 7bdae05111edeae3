"""Regenerate the model-zoo pages from the configs and the results file.

    python tools/misc/update_results_docs.py [--results docs/results/results.json] [--check]

No number in these pages is typed by hand. From ``docs/results/results.json`` (written by
``tools/reproduce.py``: ``{"suites": {NAME: {..., "rows": [...]}}}``) and the configs, it writes

* ``configs/<folder>/README.md`` for each method folder (dbm, bcl, ghm_cwap, difficulty_net,
  baselines): the paper, a table of the folder's configs (method, backbone, dataset, imbalance
  factor, schedule and batch read from the config with ``mmengine.Config``; the paper's top-1), the
  measured results of every results row whose config is in the folder, and how to run them;
* ``configs/<folder>/metafile.yml`` in MMPretrain's metafile format: a Collection for the folder
  and a Model per config, with ``Results: null`` until a suite has measured the config as it is
  (status ok, no ``cfg_options``, not a smoke run, all of the config's epochs); no ``Weights``,
  since mmltr releases no checkpoints;
* ``model-index.yml``, importing the metafiles;
* in ``README.md``, the text between a line ``<!-- results:NAME -->`` and a line
  ``<!-- /results:NAME -->`` (each marker alone on its line) becomes the table of suite NAME. A
  marker naming a suite the results file does not have is an error.

``--check`` writes nothing and exits 1 if any of these files differs from what would be
written (CI runs it through the tests). A results file, config or marker it cannot use is an
error naming what to fix (exit 2, nothing written).

The paper column comes from the results rows' ``paper`` entries and from statements in a config's
leading comment block, written ``<Name> paper Table <n> (<what>): IF100 84.60, IF50 87.06.`` (one
number per imbalance factor, read for every config of the folder whose file name differs only in
``-if<k>``) or ``<Name> paper Table <n> (<what>): 38.77.`` (that config only).
"""
import argparse
import difflib
import json
import math
import os
import os.path as osp
import re
import sys

import yaml

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _zoo import FOLDERS, GENERATOR, cite_paper, config_entry, folder_configs  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STATUSES = ('ok', 'crashed', 'nan', 'not run')
STATUS_TEXT = {'crashed': 'crashed', 'nan': 'NaN loss', 'not run': 'not measured yet'}
NOT_MEASURED = 'not measured yet'


# ---------------------------------------------------------------------------------------------
# the results file
# ---------------------------------------------------------------------------------------------
def load_results(path: str, root: str) -> dict:
    """The suites of ``path``, checked: every row names an existing config and a known status."""
    if not osp.isfile(path):
        raise ValueError(f'--results: {path} does not exist; tools/reproduce.py writes it '
                         '(with nothing measured yet it holds {"suites": {}})')
    try:
        with open(path) as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'--results: {path} is not valid JSON ({e})') from None
    if not isinstance(data, dict) or not isinstance(data.get('suites'), dict):
        raise ValueError(f'--results: {path} must hold an object {{"suites": {{NAME: suite}}}}')
    for name, suite in data['suites'].items():
        where = f'{path}: suite {name!r}'
        if suite.get('suite', name) != name:
            raise ValueError(f'{where} says "suite": {suite["suite"]!r}; the key and the name '
                             'must be the same')
        if not isinstance(suite.get('rows'), list) or 'measured' not in suite:
            raise ValueError(f'{where} needs "measured" (true/false) and a list of "rows"')
        for i, row in enumerate(suite['rows']):
            row_where = f'{where}, row {row.get("name", i)!r}'
            if 'name' not in row:
                raise ValueError(f'{row_where} needs a "name"')
            paper = row.get('paper')
            if paper is not None and not (isinstance(paper, dict) and 'source' in paper
                                          and isinstance(paper.get('top1'), (int, float))):
                raise ValueError(f'{row_where}: "paper" must be null or {{"top1": number, '
                                 f'"source": text}}, not {paper!r}')
            if row.get('status') not in STATUSES:
                raise ValueError(f'{row_where}: status {row.get("status")!r} is none of '
                                 f'{", ".join(STATUSES)}')
            if not suite['measured'] and row['status'] != 'not run':
                raise ValueError(f'{row_where}: status {row["status"]!r} in a suite with '
                                 '"measured": false (set measured to true, or the status to '
                                 '"not run")')
            target = row.get('config') or row.get('script') or ''
            if not osp.isfile(osp.join(root, target)):
                kind = 'config' if row.get('config') else 'script'
                raise ValueError(f'{row_where}: {kind} {target!r} does not exist under {root}')
    return data['suites']


def reproduces_config(suite: dict, row: dict) -> bool:
    """Whether ``row`` measured its config as it is (what a metafile's Results may claim)."""
    return (suite['measured'] and not suite.get('smoke') and row['status'] == 'ok'
            and row.get('top1') is not None and not row.get('cfg_options')
            and not row.get('data_from') and suite.get('epochs') == suite.get('config_epochs'))


def suite_rows(suites: dict):
    """``(suite name, suite, row)`` for every row, suites in name order."""
    for name in sorted(suites):
        for row in suites[name]['rows']:
            yield name, suites[name], row


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------
def num(value, spec: str = '.2f') -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return '—'
    return format(value, spec)


def md_table(head, rows) -> list:
    return ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head),
            *('| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows)]


class Notes:
    """Numbered sources of the paper numbers of one table."""

    def __init__(self):
        self.sources = {}

    def cite(self, paper) -> str:
        if not paper:
            return '—'
        number = self.sources.setdefault(paper[1], len(self.sources) + 1)
        return f'{paper[0]} [{number}]'

    def lines(self) -> list:
        return ['', *(f'[{i}] {source}  ' for source, i in self.sources.items())] \
            if self.sources else []


def row_paper(row: dict, entries: dict):
    """``(top-1 text, source)``: the row's own, else its config's (when run as it is)."""
    if row.get('paper'):
        return num(row['paper']['top1']), row['paper']['source']
    entry = entries.get(row.get('config'))
    return entry['paper'] if entry and not row.get('cfg_options') else None


def result_cells(row: dict) -> list:
    """top-1 (with the seeds' std), many, medium, few, s/epoch train, with eval, peak MiB."""
    if row['status'] != 'ok':
        return [STATUS_TEXT[row['status']]] + [''] * 6
    top1 = num(row.get('top1'))
    if row.get('top1_std') is not None:
        top1 += f' ± {num(row["top1_std"])}'
    return [top1, num(row.get('many')), num(row.get('medium')), num(row.get('few')),
            num(row.get('sec_per_epoch_train')), num(row.get('sec_per_epoch_with_eval')),
            num(row.get('peak_gpu_mem_mib'), '.0f')]


def row_folder(row: dict):
    """The model-zoo folder of a results row: its ``zoo`` entry, else its config's folder."""
    if row.get('zoo'):
        return row['zoo']
    parts = (row.get('config') or '').split('/')
    return parts[1] if len(parts) > 2 and parts[0] == 'configs' else None


def config_link(row: dict, page: str) -> str:
    target = row.get('config') or row['script']
    rel = osp.relpath(target, osp.dirname(page) or '.').replace(os.sep, '/')
    text = f'[{osp.splitext(osp.basename(target))[0]}]({rel})'
    options = row.get('cfg_options') or []
    text += ' with ' + ', '.join(f'`{o}`' for o in options) if options else ''
    if row.get('data_from'):
        text += f' on the data of `{osp.splitext(osp.basename(row["data_from"]))[0]}`'
    if row.get('after'):
        text += f', from the final checkpoint of row `{row["after"]}`'
    return text


def epochs_text(suite: dict) -> str:
    text = str(suite.get('epochs'))
    if suite.get('config_epochs') not in (None, suite.get('epochs')):
        text += f' of {suite["config_epochs"]}'
    return text + (' (smoke)' if suite.get('smoke') else '')


def earlier_runs_text(suite: dict) -> str:
    """Which rows come from an earlier run of the suite (another commit or date), if any."""
    runs = {}
    for row in suite.get('rows', []):
        run = (row.get('commit'), row.get('date'))
        if row.get('status') != 'not run' and None not in run and run != (
                suite.get('commit'), suite.get('date')):
            runs.setdefault(run, []).append(row.get('title') or row['name'])
    return ''.join(f' {", ".join(titles)}: from the run of {date}, commit `{commit}` (same '
                   'settings).' for (commit, date), titles in sorted(runs.items(),
                                                                      key=lambda x: x[0][1]))


def suite_section(name: str, suite: dict, entries: dict) -> list:
    """The README.md text of one suite: what and where it ran, and its table."""
    about = f'**{suite.get("title", name)}** (`{name}`). {suite.get("description") or ""}'.strip()
    if suite['measured']:
        seeds = ', '.join(str(s) for s in suite.get('seeds') or [])
        about += (f' Measured on {suite.get("device") or "an unrecorded device"}, '
                  f'{suite.get("date")}, commit `{suite.get("commit")}`, {epochs_text(suite)} '
                  f'epochs, seeds {seeds}.')
        about += earlier_runs_text(suite)
        if (suite.get('parallel') or 1) > 1:
            about += (f' Up to {suite["parallel"]} runs shared the device at a time: seconds per '
                      'epoch are under that load.')
        if suite.get('smoke'):
            about += ' A smoke run: not a reproduction.'
    else:
        about += ' Not measured yet.'
    if is_speed_suite(suite):
        return [about, '', *speed_table(suite)]
    notes = Notes()
    head = ['method', 'config', 'top-1', 'many', 'medium', 'few', 'paper top-1',
            's/epoch (train)', 's/epoch (with eval)', 'peak GPU MiB']
    rows = [[row.get('title', row['name']), config_link(row, 'README.md'),
             *result_cells(row)[:4], notes.cite(row_paper(row, entries)), *result_cells(row)[4:]]
            for row in suite['rows']]
    return [about, '', *md_table(head, rows), *notes.lines()]


def is_speed_suite(suite: dict) -> bool:
    """A suite that compares pipelines (rows run in several ``modes``) or runs benchmark
    scripts, rather than reproducing accuracies."""
    return any(row.get('script') or row.get('modes') for row in suite['rows'])


def speed_table(suite: dict) -> list:
    """The table of a speed suite: per config row, seconds per epoch of the standard pipeline
    and the fast path and the speed-up; per script row, the ``summary`` its output gives."""
    head = ['row', 'config', 'standard s/epoch (with eval)', 'fast s/epoch (with eval)',
            'speed-up', 'fast s/epoch (train)', 'peak GPU MiB', 'result']
    rows = []
    for row in suite['rows']:
        cells = [row.get('title', row['name']), config_link(row, 'README.md')]
        if row['status'] != 'ok':
            rows.append(cells + [STATUS_TEXT[row['status']]] + [''] * 5)
            continue
        modes = row.get('modes') or {}
        std, fast = modes.get('standard') or {}, modes.get('fast') or {}
        speedup = row.get('speedup')
        summary = (row.get('output') or {}).get('summary') if row.get('script') else None
        rows.append(cells + [
            num(std.get('sec_per_epoch_with_eval')), num(fast.get('sec_per_epoch_with_eval')),
            f'{speedup:.1f}x' if speedup else '—', num(fast.get('sec_per_epoch_train')),
            num(fast.get('peak_gpu_mem_mib'), '.0f'),
            summary or ('—' if row.get('script') is None else 'no summary in its output')])
    return md_table(head, rows)


def folder_readme(folder: str, entries: list, suites: dict, entries_by_path: dict) -> str:
    info = FOLDERS[folder]
    page = f'configs/{folder}/README.md'
    out = [f'<!-- Generated by {GENERATOR} from the configs and docs/results/results.json: '
           'do not edit. -->', f'# {info["collection"]}', '']
    if info['paper']:
        out += [f'> {cite_paper(info["paper"])}', '']
    out += [info['intro'], '']
    if info['others']:
        out += ['Baseline methods and their papers:', '']
        out += [f'* {cite_paper(p)}' for p in info['others']] + ['']

    rows = [(n, s, r) for n, s, r in suite_rows(suites) if row_folder(r) == folder]
    notes = Notes()
    table = []
    for e in entries:
        mine = [(n, s, r) for n, s, r in rows if r.get('config') == e['path']]
        measured = [f'{num(r["top1"])} (`{n}`)' for n, s, r in mine if reproduces_config(s, r)]
        if not measured and any(s['measured'] for _, s, _ in mine):
            measured = ['see [Results](#results)']
        paper = e['paper'] or next((row_paper(r, {}) for _, _, r in mine
                                    if r.get('paper') and not r.get('cfg_options')), None)
        table.append([config_link(dict(config=e['path']), page), e['title'], e['backbone'],
                      e['dataset'], e['imbalance_factor'] or '—', e['schedule'], e['batch'],
                      notes.cite(paper), ', '.join(measured) or NOT_MEASURED])
    out += ['## Configs', '',
            'Read from each config (mmengine `Config`): dataset, imbalance factor (IF), schedule '
            '(epochs, learning-rate policy) and batch (GPUs x images per GPU). The paper column '
            "is the config's header comment or a results row; measured top-1 is a suite's run "
            'of the config as it is.', '']
    out += md_table(['config', 'method', 'backbone', 'dataset', 'IF', 'schedule', 'batch',
                     'paper top-1', 'measured top-1'], table) + notes.lines() + ['']

    out += ['## Results', '']
    if rows:
        out += [f'From `docs/results/results.json` ({GENERATOR}). s/epoch: seconds per training '
                'epoch, without and with the evaluation; peak GPU MiB: the largest allocation.',
                '']
        notes = Notes()
        table = [[config_link(r, page), f'`{n}`', *result_cells(r)[:4],
                  notes.cite(row_paper(r, entries_by_path)), *result_cells(r)[4:],
                  *((s.get('device'), epochs_text(s), s.get('date'), f'`{s.get("commit")}`')
                    if s['measured'] else ('', '', '', ''))] for n, s, r in rows]
        out += md_table(['config', 'suite', 'top-1', 'many', 'medium', 'few', 'paper top-1',
                         's/epoch (train)', 's/epoch (with eval)', 'peak GPU MiB', 'device',
                         'epochs', 'date', 'commit'], table) + notes.lines()
    else:
        out += [f'{NOT_MEASURED[0].upper()}{NOT_MEASURED[1:]}: no suite of '
                '`docs/results/results.json` runs a config of this folder.']

    example = next((e['path'] for e in entries if e['imbalance_factor'] in (100, None)
                    and e['title'].startswith(info['collection'])), entries[0]['path'])
    names = sorted({n for n, _, _ in rows})
    listed = ', '.join(f'`{n}`' for n in names)
    out += ['', '## How to run', '', '```bash', '# one GPU (or the CPU)',
            f'python tools/train.py {example}', '# 8 GPUs', f'bash tools/dist_train.sh {example} 8',
            '# a suite of docs/results/results.json: its runs, then these pages',
            f'python tools/reproduce.py {names[0] if names else "SUITE"}', '```', '',
            'Any config of the table runs the same way. The `{gpus}xb{batch}` part of a config '
            'name is the number of GPUs and the images per GPU it was written for; on another '
            'number of GPUs add `--auto-scale-lr` to scale the learning rate with the total '
            'batch. ' + (f'Suites with configs of this folder: {listed}.' if names
                         else 'No suite runs a config of this folder yet.')]
    return '\n'.join(out) + '\n'


# ---------------------------------------------------------------------------------------------
# metafiles, model index, README markers
# ---------------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as MMPretrain's metafiles are written."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def dump_yaml(header: str, data: dict) -> str:
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                              width=1000)


def model_results(entry: dict, suites: dict):
    """MMPretrain ``Results`` of the config: one per suite that measured it as it is."""
    dataset = entry['dataset'] + (f' IF{entry["imbalance_factor"]}'
                                  if entry['imbalance_factor'] else '')
    out = []
    for _, suite, row in suite_rows(suites):
        if row.get('config') == entry['path'] and reproduces_config(suite, row):
            metrics = {'Top 1 Accuracy': row['top1']}
            for key, label in (('many', 'Many-shot'), ('medium', 'Medium-shot'),
                               ('few', 'Few-shot')):
                if num(row.get(key)) != '—':
                    metrics[f'{label} Accuracy'] = row[key]
            out.append({'Task': 'Image Classification', 'Dataset': dataset, 'Metrics': metrics})
    return out or None


def metafile(folder: str, entries: list, suites: dict, names: dict) -> str:
    info = FOLDERS[folder]
    collection = {'Name': info['collection'], 'Metadata': {
        'Training Data': sorted({e['dataset'] for e in entries}),
        'Architecture': sorted({e['backbone'] for e in entries})}}
    if info['paper']:
        collection['Paper'] = {'Title': info['paper']['title'], 'URL': info['paper']['url']}
    collection['README'] = f'configs/{folder}/README.md'
    models = []
    for e in entries:
        metadata = {'Training Data': e['dataset']}
        if e['imbalance_factor']:
            metadata['Imbalance Factor'] = e['imbalance_factor']
        metadata.update({'Epochs': e['epochs'], 'Batch Size': e['batch_size'],
                         'Architecture': [e['backbone']]})
        model = {'Name': names[e['path']], 'Metadata': metadata,
                 'In Collection': info['collection'], 'Results': model_results(e, suites),
                 'Config': e['path']}
        if e['method_paper'] and e['method_paper'] is not info['paper']:
            model['Paper'] = {'Title': e['method_paper']['title'],
                              'URL': e['method_paper']['url']}
        models.append(model)
    header = (f'# Generated by {GENERATOR} from the configs and docs/results/results.json: do '
              'not edit.\n# mmltr releases no checkpoints, so no model has Weights.\n')
    return dump_yaml(header, {'Collections': [collection], 'Models': models})


def model_index(folders) -> str:
    header = (f'# Generated by {GENERATOR}: do not edit.\n'
              "# OpenMMLab model index, read by `mim`, MMPretrain's ModelHub and mmengine's\n"
              '# `mmltr::` config lookup (shipped as mmltr/.mim/model-index.yml).\n'
              '# mmltr releases no checkpoints: no model has Weights.\n')
    return dump_yaml(header, {'Import': [f'configs/{f}/metafile.yml' for f in folders]})


MARKER_RE = re.compile(r'^<!-- (?P<close>/?)results:(?P<name>\S+) -->\s*$')


def replace_markers(text: str, suites: dict, entries: dict, path: str = 'README.md') -> str:
    """``text`` with each suite's table between its ``<!-- results:NAME -->`` marker lines."""
    out, open_name, open_line = [], None, 0
    for i, line in enumerate(text.split('\n'), 1):
        m = MARKER_RE.match(line)
        if not m:
            if open_name is None:
                out.append(line)
            continue
        name = m['name']
        if not m['close']:
            if open_name is not None:
                raise ValueError(f'{path}:{i}: marker for suite {name!r} inside the markers of '
                                 f'suite {open_name!r} (line {open_line}); close it first')
            if name not in suites:
                known = ', '.join(sorted(suites)) or 'none'
                raise ValueError(f'{path}:{i}: marker <!-- results:{name} --> names a suite '
                                 f'that docs/results/results.json does not have (its suites: '
                                 f'{known}); add the suite there (tools/reproduce.py) or remove '
                                 'the marker pair')
            out += [line, '', *suite_section(name, suites[name], entries), '']
            open_name, open_line = name, i
        else:
            if name != open_name:
                raise ValueError(f'{path}:{i}: closing marker for suite {name!r} without its '
                                 f'opening marker <!-- results:{name} -->')
            out.append(line)
            open_name = None
    if open_name is not None:
        raise ValueError(f'{path}:{open_line}: marker <!-- results:{open_name} --> is never '
                         f'closed (add a line <!-- /results:{open_name} -->)')
    return '\n'.join(out)


def generate(root: str, results: str) -> dict:
    """``{path relative to root: text}`` of every generated file."""
    suites = load_results(results, root)
    folders = [f for f in FOLDERS if osp.isdir(osp.join(root, 'configs', f))]
    by_folder = {f: [config_entry(root, p) for p in folder_configs(root, f)] for f in folders}
    entries = {e['path']: e for es in by_folder.values() for e in es}
    stems = [e['stem'] for e in entries.values()]
    names = {p: e['stem'] if stems.count(e['stem']) == 1 else p[len('configs/'):-len('.py')]
             for p, e in entries.items()}
    out = {}
    for f in folders:
        out[f'configs/{f}/README.md'] = folder_readme(f, by_folder[f], suites, entries)
        out[f'configs/{f}/metafile.yml'] = metafile(f, by_folder[f], suites, names)
    out['model-index.yml'] = model_index(folders)
    readme = osp.join(root, 'README.md')
    if osp.isfile(readme):
        with open(readme) as fh:
            out['README.md'] = replace_markers(fh.read(), suites, entries)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--results', default=None,
                   help='the results file (default: ROOT/docs/results/results.json)')
    p.add_argument('--check', action='store_true',
                   help='write nothing; exit 1 if a generated file is not up to date')
    p.add_argument('--root', default=ROOT, help='the repository (default: this one)')
    args = p.parse_args(argv)
    results = args.results or osp.join(args.root, 'docs', 'results', 'results.json')
    try:
        files = generate(args.root, results)
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    stale = []
    for rel, text in files.items():
        path = osp.join(args.root, rel)
        old = open(path).read() if osp.isfile(path) else None
        if old == text:
            continue
        stale.append(rel)
        if args.check:
            diff = difflib.unified_diff((old or '').splitlines(), text.splitlines(), rel, rel,
                                        lineterm='', n=1)
            print('\n'.join(list(diff)[:20]))
        else:
            with open(path, 'w') as fh:
                fh.write(text)
            print(f'wrote {rel}')
    if args.check and stale:
        print(f'out of date: {", ".join(stale)}; run python {GENERATOR}', file=sys.stderr)
        return 1
    if not stale:
        print(f'{len(files)} generated files up to date')
    return 0


if __name__ == '__main__':
    sys.exit(main())
