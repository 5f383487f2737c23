"""Tox21: 12 toxicity assays on ~7,800 molecules, featurized from SMILES with RDKit."""

import csv
from pathlib import Path

import numpy as np

from snn.data.sources import SOURCES, PredefinedSplits
from snn.errors import DataError
from snn.schema import PositiveInt

TASKS = 12


@SOURCES.register(name="tox21")
def load_tox21(
    path: Path = Path("tox21/tox21.csv"),
    radius: PositiveInt = 2,
    bits: PositiveInt = 2048,
    descriptors: bool = False,
):
    """Tox21 (MoleculeNet CSV): extended-connectivity fingerprints and 12 binary labels.

    The SNN paper used the DeepTox descriptors, which are not public; ECFP features make the
    results comparable to, not identical with, the paper's. Molecules RDKit cannot parse
    are dropped.

    Args:
        path: CSV with a `smiles` column and 12 assay columns (empty cell: label missing).
        radius: ECFP radius (2 gives ECFP4).
        bits: fingerprint length.
        descriptors: also append RDKit's 2D descriptors (about 200 columns).

    Returns:
        (x, y, predefined): float32 features (n, bits [+ descriptors]), float32 labels
        (n, 12), NaN where a label is missing, and `PredefinedSplits` holding each
        molecule's Bemis-Murcko scaffold (canonical SMILES; "" for acyclic molecules), for
        `evaluation.split: scaffold`.

    Raises:
        DataError: RDKit is missing (`pip install -e '.[chem]'`), or the CSV lacks the
            `smiles` column or has another number of assay columns.

    Reference:
        Huang et al., "Tox21 Challenge", 2016; Klambauer et al. 2017, Section 4.2; Bemis &
        Murcko, "The Properties of Known Drugs. 1. Molecular Frameworks", J. Med. Chem.
        1996 (scaffolds).
    """
    try:
        from rdkit import Chem, RDLogger
        from rdkit.Chem import Descriptors, rdFingerprintGenerator
        from rdkit.Chem.Scaffolds import MurckoScaffold
    except ImportError:
        raise DataError("data.source: tox21 needs RDKit; install it with "
                        "pip install -e '.[chem]'") from None
    smiles, labels = _read(path)
    RDLogger.DisableLog("rdApp.*")  # one line per unparsable molecule is noise here
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=bits)
    rows, kept, scaffolds = [], [], []
    for i, text in enumerate(smiles):
        molecule = Chem.MolFromSmiles(text)
        if molecule is None:
            continue
        features = generator.GetFingerprintAsNumPy(molecule).astype(np.float32)
        if descriptors:
            values = np.array([f(molecule) for _, f in Descriptors.descList], np.float64)
            features = np.concatenate([features, np.nan_to_num(
                values, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)])
        rows.append(features)
        kept.append(i)
        scaffolds.append(MurckoScaffold.MurckoScaffoldSmiles(mol=molecule))
    return np.stack(rows), labels[kept], PredefinedSplits(scaffolds=np.array(scaffolds))


def _read(path):
    try:
        with open(path, newline="") as handle:
            table = list(csv.reader(handle))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    header = table[0] if table else []
    if "smiles" not in header or len(header) != TASKS + 1:
        raise DataError(f"{path}: header {header[:3]}...; expected 'smiles' and {TASKS} assay "
                        "columns")
    column = header.index("smiles")
    smiles = [row[column] for row in table[1:]]
    labels = np.array([[float(cell) if cell else np.nan
                        for j, cell in enumerate(row) if j != column] for row in table[1:]],
                      dtype=np.float32)
    return smiles, labels
