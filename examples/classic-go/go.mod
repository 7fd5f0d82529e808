module layerkit.invalid/examples/classic-go

go 1.19

require layerkit.invalid/go v0.0.0

replace layerkit.invalid/go => ../../bindings/go
