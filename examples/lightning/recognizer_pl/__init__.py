"""The digit-line reader, trained with PyTorch Lightning; versions in an MLflow registry."""
