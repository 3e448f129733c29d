ARRAY JOIN scopes AS scope, s_schema_urls AS s_schema_url, names2 AS names, descriptions2 AS descriptions, units2 AS units, data3 AS data2
ARRAY JOIN names AS MetricName, descriptions AS MetricDescription, units AS MetricUnit, data2 AS data
ARRAY JOIN data.data_points AS dp
