"""A model as a value: the spec and its table of layer kinds, presets, building it in Keras, its
memory, augmentation, model files, and the plain Keras script that trains the same model."""
