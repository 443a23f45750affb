-- cloudIDs now carry their data, sealed under the deployment's key (see the server's service/opendata.rs):
-- nothing is stored per cloudID any more.
DROP TABLE cloud_ids;
