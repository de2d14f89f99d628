"""Reposts: videos that show the same footage or the same text, grouped, first poster first.

`find_clusters(store)` brings the index (`index`, `<data>/clusters.sqlite`) up to date with the
transcripts' fingerprints and groups its matched pairs (`group`); `export` writes them as a
table, JSON, JSONL or CSV. Matching itself is `match`.
"""

from vidscribe.clusters.export import FORMATS, cluster_rows, clusters_json, write_clusters
from vidscribe.clusters.group import Cluster, ClusterVideo, build_clusters, describe
from vidscribe.clusters.index import UpdateStats, index_path
from vidscribe.clusters.match import PairEvidence, compare
from vidscribe.clusters.run import find_clusters

__all__ = ["FORMATS", "Cluster", "ClusterVideo", "PairEvidence", "UpdateStats", "build_clusters", "cluster_rows",
           "clusters_json", "compare", "describe", "find_clusters", "index_path", "write_clusters"]
