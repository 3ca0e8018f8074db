// HeedCheckpoints
