SELECT TOP 1000 '{{ query_id }}' AS query_id, objectId, coord_ra, coord_dec
FROM dp02_dc2_catalogs.Object
WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', {{ ra }}, {{ dec }}, {{ radius }})) = 1
