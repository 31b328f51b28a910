/**
 * The runtime-neutral training engine (Web Worker or Node): config schema, learning-rate schedules,
 * optimizers with weight decay / clipping / groups / frozen variables, the training loop with its messages,
 * checkpoints that resume bit-exactly, and evaluation helpers.
 */
export { assertTrainingConfig, optimizerSpecSchema, paramGroupSchema, parseTrainingConfig, trainingConfigSchema, TrainingConfigError } from './config'
export type { ConfigParse, OptimizerSpec, ParamGroup, TrainingConfig, TrainingConfigInput } from './config'
export { fmtValue, learningRateAt, scheduleCurve, scheduleSpecSchema, warmupSteps } from './schedules'
export type { CurvePoint, ScheduleSpec, ScheduleSpecInput, ScheduleType } from './schedules'
export { slotNames, TrainOptimizer } from './optimizers'
export type { OptimizerHyper, OptimizerParam, OptimizerState } from './optimizers'
export { NORM_LAYER_CLASSES, planParams, trainableParams, variableName } from './params'
export type { ParamInfo, ParamPlan, PlannedParam, PlanOptions } from './params'
export { batchToTensors, InMemoryDataSource } from './data'
export { balancedClassWeights, classCounts, classImbalance, UNBALANCED_RATIO, type ClassImbalance } from './balance'
export type { DataBatch, DataSource, DataSplit, InMemorySplit } from './data'
export { correctCount, logitsFunction, softmaxCrossEntropy, softmaxCrossEntropyPerSample, weightedSoftmaxCrossEntropy } from './loss'
export type { LogitsFn } from './loss'
export { evalInputs, evalPipeline, preprocessBatch, trainingInputs } from './preprocess'
export { captureCheckpoint, optimizerStateOf, restoreCheckpoint } from './checkpoint'
export type { Checkpoint, CheckpointProgress } from './checkpoint'
export { evaluate, initialLoss } from './evaluate'
export type { EvaluateOptions, EvaluationResult, InitialLossResult, Prediction, TtaEvaluation } from './evaluate'
export { defaultYield, epochOrder, stepsPerEpochOf, Trainer } from './trainer'
export type { TrainBatchSeen, TrainerOptions, TrainOutcome, TrainStatus } from './trainer'
export * from './messages'
