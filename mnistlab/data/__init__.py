"""The digits: datasets and where they come from, file formats, strokes from the canvas, and a
drawing preprocessed the way MNIST's digits were made."""
