SELECT '{{ query_id }}' AS query_id, id, mag FROM troop.objects WHERE id IN ({{ objects }})
