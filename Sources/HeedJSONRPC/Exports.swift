// HeedJSONRPC speaks in HeedJSON's types (requests, params and results are JSONValues, results
// are written with JSONWriter), so a module that imports HeedJSONRPC sees them too.

@_exported import HeedJSON
