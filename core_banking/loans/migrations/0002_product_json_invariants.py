"""The product rules on JSON columns that PostgreSQL needs a function for: the allocation order
is a permutation of the four components, the bucket boundaries are ascending whole days >= 1.
(PostgreSQL only, see core_banking.common.migration_operations; the services check the same rules.)"""

from django.db import migrations

from core_banking.common.migration_operations import PostgresOnlySQL

FORWARD = """
CREATE FUNCTION loans_is_allocation_order(value jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(value) = 'array'
       AND jsonb_array_length(value) = 4
       AND value @> '["fees", "penalties", "interest", "principal"]'::jsonb
$$;

CREATE FUNCTION loans_is_ascending_days(value jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) = 0 THEN false
        WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(value) AS e(item)
                     WHERE jsonb_typeof(item) <> 'number') THEN false
        ELSE (SELECT bool_and(days = trunc(days) AND days >= 1 AND (previous IS NULL OR days > previous))
              FROM (SELECT (item #>> '{}')::numeric AS days,
                           lag((item #>> '{}')::numeric) OVER (ORDER BY position) AS previous
                    FROM jsonb_array_elements(value) WITH ORDINALITY AS e(item, position)) AS s)
    END
$$;

ALTER TABLE loans_loanproduct
    ADD CONSTRAINT loans_product_allocation_order_permutation CHECK (loans_is_allocation_order(allocation_order)),
    ADD CONSTRAINT loans_product_bucket_boundaries_ascending CHECK (loans_is_ascending_days(bucket_boundaries));
"""

BACKWARD = """
ALTER TABLE loans_loanproduct
    DROP CONSTRAINT loans_product_allocation_order_permutation,
    DROP CONSTRAINT loans_product_bucket_boundaries_ascending;
DROP FUNCTION loans_is_allocation_order(jsonb);
DROP FUNCTION loans_is_ascending_days(jsonb);
"""


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial")]

    operations = [PostgresOnlySQL(FORWARD, BACKWARD)]
