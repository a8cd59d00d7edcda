SELECT '{{ query_id }}' AS query_id, id, ra, dec, mag FROM troop.objects WHERE id = {{ object }}
