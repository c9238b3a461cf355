-- 0004: the same job published on several sources is one offer for the indicators. Clusters are
-- derived (rebuilt with the offers indicators); the offers themselves are all kept.
CREATE TABLE ind_offre_cluster (
    offre_id VARCHAR PRIMARY KEY,
    cluster_id VARCHAR NOT NULL,
    cluster_size INTEGER NOT NULL
);
