SELECT COUNT(*) AS n FROM troop.objects WHERE mag < {{ mag_limit }}
