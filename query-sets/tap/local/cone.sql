SELECT '{{ query_id }}' AS query_id, id, ra, dec, mag
FROM troop.objects
WHERE CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {{ ra }}, {{ dec }}, {{ radius }})) = 1
