// HeedTokenizers
