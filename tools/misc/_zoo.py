"""What the model zoo holds: the method folders, their papers, and what each config trains.

Used by ``update_results_docs.py`` (the generated READMEs and metafiles). A config's facts are
read from the config itself (``mmengine.Config``) and from its file name
``{method}_{backbone}_{gpus}xb{batch}_{dataset}[_{variant}].py``; its paper top-1 from statements in
its leading comment block (see :data:`PAPER_RE`).
"""
import os
import os.path as osp
import re

GENERATOR = 'tools/misc/update_results_docs.py'


def paper(authors, title, venue, url):
    return dict(authors=authors, title=title, venue=venue, url=url)


def cite_paper(p: dict) -> str:
    """``Authors, [Title](URL), Venue`` (Markdown)."""
    return f'{p["authors"]}, [{p["title"]}]({p["url"]}), {p["venue"]}'


DBM = paper('Son et al.', 'Difficulty-aware Balancing Margin Loss for Long-tailed Recognition',
            'AAAI 2025', 'https://arxiv.org/abs/2412.15477')
GHM_CWAP = paper('Zhang et al.',
                 'Solving the Long-Tailed Problem via Intra- and Inter-Category Balance',
                 'ICASSP 2022', 'https://arxiv.org/abs/2204.09234')
DIFFICULTY_NET = paper('Sinha & Ohashi',
                       'Difficulty-Net: Learning to Predict Difficulty for Long-Tailed Recognition',
                       'WACV 2023', 'https://arxiv.org/abs/2209.02960')
BS = paper('Ren et al.', 'Balanced Meta-Softmax for Long-Tailed Visual Recognition',
           'NeurIPS 2020', 'https://arxiv.org/abs/2007.10740')
LDAM = paper('Cao et al.', 'Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss',
             'NeurIPS 2019', 'https://arxiv.org/abs/1906.07413')
CB = paper('Cui et al.', 'Class-Balanced Loss Based on Effective Number of Samples', 'CVPR 2019',
           'https://arxiv.org/abs/1901.05555')
FOCAL = paper('Lin et al.', 'Focal Loss for Dense Object Detection', 'ICCV 2017',
              'https://arxiv.org/abs/1708.02002')
SEESAW = paper('Wang et al.', 'Seesaw Loss for Long-Tailed Instance Segmentation', 'CVPR 2021',
               'https://arxiv.org/abs/2008.10032')
BCL = paper('Zhu et al.', 'Balanced Contrastive Learning for Long-Tailed Visual Recognition',
            'CVPR 2022', 'https://arxiv.org/abs/2207.09052')

# file-name method -> (title, paper of the method when it is not the folder's own)
METHODS = {
    'ce': ('CE', None), 'bs': ('BS', BS), 'ldam-drw': ('LDAM-DRW', LDAM),
    'dbm-ce': ('DBM-CE', None), 'dbm-drw': ('DBM-DRW', None), 'dbm-bs': ('DBM-BS', None),
    'bcl': ('BCL', BCL), 'dbm-bcl': ('DBM-BCL', None),
    'ghm-cwap': ('GHM-CWAP', None), 'seesaw': ('Seesaw', SEESAW),
    'difficulty-net': ('Difficulty-Net', None),
    'difficulty-net-driver-only': ('Difficulty-Net (driver-only update)', None),
    'difficulty-net-las': ('Difficulty-Net + LAS (stage 2)', None),
    'cb': ('CB', CB), 'focal': ('focal', FOCAL)}

FOLDERS = {
    'dbm': dict(
        collection='DBM', paper=DBM, others=(BS, LDAM, BCL),
        intro='DBM-CE, DBM-DRW and DBM-BS (`DBMLoss` on `CosineClsHead`) with the baselines of '
        'the DBM paper (cross-entropy, Balanced Softmax, LDAM-DRW) on CIFAR-10/100-LT with the '
        "paper's CIFAR recipe; DBM-BCL (BCL whose classification branch is DBM-BS: `BCLHead` "
        'with `DBMLoss`; its BCL baseline is in `configs/bcl/`) on CIFAR-10/100-LT and, as in '
        'the paper, on ImageNet-LT (`resnet50_imagenet-lt.py`, `resnext50-32x4d_imagenet-lt.py`) '
        'and iNaturalist 2018 (`resnet50_inat2018.py`); DBM-BS with the large-scale recipe on '
        'ImageNet-LT and iNaturalist 2018; and, in `jpeg/`, the shortened GPU reproduction on the '
        'JPEG copy of CIFAR-10.'),
    'bcl': dict(
        collection='BCL', paper=BCL, others=(),
        intro='BCL (`BCLClassifier`, `BCLHead`, `BalancedSupConLoss`): 3 views of each image '
        '(`MultiView` + `MultiViewClsDataPreprocessor`), the logit-adjusted cross-entropy on a '
        'cosine classifier for the first and the balanced supervised contrastive loss '
        '(class-averaging, class-complement) for the other two. CIFAR-10/100-LT and iNaturalist '
        "2018 with the DBM code's BCL (the DBM paper's re-runs), ImageNet-LT with the released "
        "BCL code's recipe. DBM-BCL, the same with DBM margins in the classification branch, is "
        'in `configs/dbm/`.'),
    'ghm_cwap': dict(
        collection='GHM-CWAP', paper=GHM_CWAP, others=(SEESAW,),
        intro='GHM-CWAP (`GHMCWAPLoss`) with the softmax cross-entropy and Seesaw baselines on '
        "the paper's Table 1 grid (CIFAR-10/100-LT, LDAM's step recipe), its Table 3 ablations, "
        'ResNet-50 on ImageNet-LT and iNaturalist 2018, and, in `jpeg/`, the shortened GPU runs on '
        'the JPEG copy of CIFAR-10. The paper has no public code: the open choices are ours and '
        "are documented in `GHMCWAPLoss`'s docstring."),
    'difficulty_net': dict(
        collection='Difficulty-Net', paper=DIFFICULTY_NET, others=(),
        intro='Stage 1 of Difficulty-Net (`DifficultyNetClassifier` with `DifficultyNetHook`) on '
        "CIFAR-10/100-LT, ImageNet-LT and Places-LT, with the paper's second-order meta step "
        "(`difficulty-net_*`) or the released code's driver-only update (`difficulty-net-driver-"
        "only_*`, what the published numbers come from), stage 2 with label-aware smoothing "
        '(`difficulty-net-las_*`, on a frozen backbone), and, in `jpeg/`, the shortened GPU runs '
        'on the JPEG copy of CIFAR-10 with a CE baseline on the same hold-out. The paper column '
        'stays empty until a two-stage run is compared with its two-stage numbers.'),
    'baselines': dict(
        collection='Baselines', paper=None, others=(BS, LDAM, CB, FOCAL, SEESAW),
        intro='Plain softmax cross-entropy with crop + flip on CIFAR-10/100-LT, ImageNet-LT, '
        'iNaturalist 2018 and Places-LT. The loss baselines that the method papers compare with '
        'sit next to those methods, with their recipes: Balanced Softmax and LDAM-DRW in '
        '`configs/dbm/`, Seesaw in `configs/ghm_cwap/`. The class-balanced and focal losses '
        '(`ClassBalancedLoss`, `SoftmaxFocalLoss`) are there for your own configs.'),
}

DATASETS = {'CIFAR10LT': 'CIFAR-10-LT', 'CIFAR100LT': 'CIFAR-100-LT', 'ImageNetLT': 'ImageNet-LT',
            'INaturalist2018': 'iNaturalist 2018', 'PlacesLT': 'Places-LT'}
FOLDER_DATASETS = {'cifar10-jpeg': 'CIFAR-10 (JPEG copy)'}
NAME_RE = re.compile(r'^(?P<method>[^_]+)_(?P<backbone>[^_]+)_(?P<gpus>\d+)xb(?P<batch>\d+)_'
                     r'(?P<dataset>[^_]+)(?:_(?P<extra>.+))?$')
PAPER_RE = re.compile(r'(?P<label>\b[A-Z][\w-]* paper Table \d+(?: \([^)]*\))?): '
                      r'(?P<values>IF ?\d+ \d+\.\d+(?:, IF ?\d+ \d+\.\d+)*|\d+\.\d+)')


# ---------------------------------------------------------------------------------------------
# what a config reproduces
# ---------------------------------------------------------------------------------------------
def header_text(path: str) -> str:
    """The config's leading comment block as one line of text."""
    lines = []
    with open(path) as f:
        for line in f:
            if not line.startswith('#'):
                if line.strip():
                    break
                continue
            lines.append(line.lstrip('#').strip())
    return ' '.join(lines)


def header_papers(path: str, siblings) -> dict:
    """``{imbalance factor or None: (top-1 text, source)}`` stated in the headers of ``path``
    (every form) and of ``siblings`` (the per-imbalance-factor form only)."""
    out = {}
    for i, p in enumerate([path, *siblings]):
        for m in PAPER_RE.finditer(header_text(p)):
            values = m.group('values')
            if values.startswith('IF'):
                for factor, top1 in re.findall(r'IF ?(\d+) (\d+\.\d+)', values):
                    out.setdefault(int(factor), (top1, m.group('label')))
            elif i == 0:
                out.setdefault(None, (values, m.group('label')))
    return out


def dataset_name(ds: dict) -> str:
    if ds.get('type') in DATASETS:
        return DATASETS[ds['type']]
    if ds.get('type') == 'LongTailedDataset':
        return f'{dataset_name(ds["dataset"])}, long-tailed'
    root = osp.basename(str(ds.get('data_root', '')).rstrip('/'))
    return FOLDER_DATASETS.get(root, f'{ds.get("type")} `{ds.get("data_root")}`')


def imbalance_factor(ds: dict):
    while ds is not None:
        if ds.get('imbalance_factor') is not None:
            return ds['imbalance_factor']
        ds = ds.get('dataset')
    return None


def backbone_name(model: dict) -> str:
    bb = model['backbone']
    kind, depth = bb['type'], bb.get('depth')
    if kind == 'ResNet32_CIFAR':
        name = 'ResNet-32 (CIFAR)'
    elif kind == 'ResNeXt':
        name = f'ResNeXt-{depth} ({bb.get("groups")}x{bb.get("width_per_group")}d)'
    elif kind.startswith('ResNet') and depth:
        name = f'ResNet-{depth}'
    else:
        name = kind
    if (bb.get('init_cfg') or {}).get('type') == 'Pretrained':
        name += ', pretrained'
    return name


def schedule(cfg) -> str:
    scheds = cfg.get('param_scheduler') or []
    if isinstance(scheds, dict):  # one scheduler, or one list per optimizer (the model's)
        scheds = [scheds] if 'type' in scheds else (
            scheds.get('model') or next(iter(scheds.values()), []))
    parts = []
    for s in scheds:
        if s['type'] == 'LinearLR':
            parts.append(f'{s.get("end")}-ep warm-up')
        elif s['type'] == 'CosineAnnealingLR':
            parts.append('cosine')
        elif s['type'] == 'MultiStepLR':
            parts.append(f'x{s.get("gamma")} at {", ".join(map(str, s["milestones"]))}')
        else:
            parts.append(s['type'])
    return f'{cfg.train_cfg.max_epochs} ep' + (f', {" + ".join(parts)}' if parts else '')


def config_entry(root: str, path: str) -> dict:
    """What the config at ``root/path`` trains: its file name parts and its resolved values."""
    from mmengine.config import Config
    full = osp.join(root, path)
    cfg = Config.fromfile(full)
    stem = osp.splitext(osp.basename(path))[0]
    name = NAME_RE.match(stem)
    if name:
        method, extra = name['method'], name['extra']
    else:  # a name users type (e.g. dbm/resnet50_imagenet-lt.py): the header says the method
        method, extra = re.split(r'[ ,]', header_text(full), maxsplit=1)[0].lower(), None
    if method not in METHODS:
        raise ValueError(f'{path}: method {method!r} is none of {", ".join(METHODS)}: name the '
                         'config {method}_{backbone}_{gpus}xb{batch}_{dataset}.py, or add the '
                         f'method to METHODS in {GENERATOR}')
    title, method_paper = METHODS[method]
    per_gpu = cfg.train_dataloader.batch_size
    if name:
        batch, total = f'{name["gpus"]} x {per_gpu}', int(name['gpus']) * per_gpu
    else:
        total = (cfg.get('auto_scale_lr') or {}).get('base_batch_size', per_gpu)
        batch = f'{total} ({per_gpu} per GPU)'
    family = re.sub(r'-if\d+', '-if*', stem)
    folder = osp.dirname(full)
    siblings = sorted(osp.join(folder, f) for f in os.listdir(folder) if f.endswith('.py')
                      and f != stem + '.py' and re.sub(r'-if\d+', '-if*', f[:-3]) == family)
    factor = imbalance_factor(cfg.train_dataloader.dataset)
    papers = header_papers(full, siblings)
    dataset = dataset_name(cfg.train_dataloader.dataset)
    source = papers.get(factor) or papers.get(None)
    return dict(
        path=path, stem=stem, title=title + (f' ({extra})' if extra else ''),
        method_paper=method_paper, backbone=backbone_name(cfg.model), dataset=dataset,
        imbalance_factor=factor, epochs=cfg.train_cfg.max_epochs, schedule=schedule(cfg),
        batch=batch, batch_size=total, paper=source)


def folder_configs(root: str, folder: str) -> list:
    top = osp.join(root, 'configs', folder)
    paths = [osp.relpath(osp.join(d, f), root).replace(os.sep, '/')
             for d, _, files in os.walk(top) for f in files if f.endswith('.py')]
    # the folder's own configs first; numbers in the names in numeric order (if10 < if50 < if100)
    return sorted(paths, key=lambda p: (p.count('/'), [int(t) if t.isdigit() else t
                                                       for t in re.split(r'(\d+)', p)]))
