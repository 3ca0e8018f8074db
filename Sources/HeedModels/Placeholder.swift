// HeedModels
