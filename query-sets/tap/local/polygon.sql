SELECT '{{ query_id }}' AS query_id, id, ra, dec
FROM troop.objects
WHERE CONTAINS(POINT('ICRS', ra, dec), POLYGON('ICRS', {{ polygon }})) = 1
