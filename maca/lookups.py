"""Query lookups the project adds to Django's.

Django answers `exact`, `gt`, `lt` and the like on an integer column with a value the column
cannot hold (id=99999999999999999999) by matching nothing; `in` sends the value to the database,
where SQLite raises OverflowError. A form's list of ids (agencies ticked, tags, cases) is looked
up with `in`, so a tampered id became a server error instead of "Select a valid choice".
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerFieldIn(In):
    """`in` on an integer column, without the values no such column holds: they match no row."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            internal_type = self.lhs.output_field.get_internal_type()
            low, high = connection.ops.integer_field_range(internal_type)
            kept = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
            if self.rhs and not kept:
                raise EmptyResultSet
            self.rhs = kept
        return super().process_rhs(compiler, connection)
