"""The connection pool routes of the OVHcloud API, as public sources describe them.

These routes are not in the API reference under ../shared/reference (the
extract the other routes of the fake are checked against), so the fake's pool
routes and the module's requests are checked against this record instead, and
only against it. Where each part comes from:

* ``CONNECTION_POOL_CREATION`` (the POST body,
  ``cloud.project.database.postgresql.ConnectionPoolCreation``): repository
  ovh/manager, file packages/manager/apps/pci-databases-analytics/src/types/
  cloud/project/database/postgresql/ConnectionPoolCreation.ts.
* ``CONNECTION_POOL`` (answers and the PUT body,
  ``cloud.project.database.postgresql.ConnectionPool``): ConnectionPool.ts in
  the same folder; ``MODES`` and ``SSL_MODES`` from connectionpool/ModeEnum.ts
  and connectionpool/SslModeEnum.ts below it.
* ``ROUTES`` (methods and paths; GET on the collection answers a list of IDs):
  repository ovh/terraform-provider-ovh, files
  ovh/resource_cloud_project_database_postgresql_connection_pool.go (create,
  read, update, delete) and ovh/data_cloud_project_database_postgresql_connection_pool.go
  (lists the IDs, then reads each pool to find one by name); ovh/manager's
  packages/manager/apps/pci-databases-analytics/src/data/api/database/connectionPool.api.ts
  sends the same calls.
* ``READ_ONLY`` (fields a PUT does not change): the Terraform resource forces
  a new pool when the name changes and computes port, SSL mode and URI;
  connectionPool.api.ts leaves name, port and uri out of its PUT body.
"""

#: field -> required
CONNECTION_POOL_CREATION = {"databaseId": True, "mode": True, "name": True, "size": True, "userId": False}
CONNECTION_POOL = {"databaseId": True, "id": False, "mode": True, "name": False, "port": False, "size": True,
                   "sslMode": False, "uri": False, "userId": False}
MODES = ("session", "statement", "transaction")
SSL_MODES = ("require",)
READ_ONLY = ("id", "name", "port", "sslMode", "uri")

COLLECTION = "/cloud/project/{serviceName}/database/postgresql/{clusterId}/connectionPool"
ITEM = COLLECTION + "/{connectionPoolId}"

#: (method, path) -> body fields (None: no body), in the form test_ovh_reference.py uses
ROUTES = {
    ("GET", COLLECTION): None,
    ("POST", COLLECTION): CONNECTION_POOL_CREATION,
    ("GET", ITEM): None,
    ("PUT", ITEM): CONNECTION_POOL,
    ("DELETE", ITEM): None,
}
