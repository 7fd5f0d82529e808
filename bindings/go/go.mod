module layerkit.invalid/go

go 1.19
