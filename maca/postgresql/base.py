"""Django's PostgreSQL backend, for queries bound on the server (prepared statements): one
statement carries at most 65,535 values, so rows written or deleted many at a time go in
batches that fit (Django's own backend sends them all in one statement)."""

from django.db.backends.postgresql import base, operations

MAX_PARAMETERS = 65_535


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        return max(1, min(len(objs), MAX_PARAMETERS // max(len(fields), 1)))


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
